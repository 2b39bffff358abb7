"""The `schoolbot` command through its entry point: help, bad input, db upgrade, demo, invite."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from datetime import date, datetime
from pathlib import Path

import pytest

from bot.cli import main
from core import model as m
from core.invites import hash_code
from storage.db import Database

NOW = "2026-11-18T16:30:00"
SUBCOMMANDS = [["db"], ["db", "upgrade"], ["demo"], ["invite"], ["run"]]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean environment with a fresh SQLite file; returns its path."""
    for name in ("BOT_TOKEN", "BOT_USERNAME", "REDIS_URL", "WEBHOOK_URL", "TELEGRAM_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env
    db = tmp_path / "school.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
    monkeypatch.setenv("SCHOOLBOT_NOW", NOW)
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    return db


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """The demo school loaded once through the command; tests work on copies."""
    folder = tmp_path_factory.mktemp("demo")
    db = folder / "demo.db"
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(folder)
        mp.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{db}")
        mp.setenv("SCHOOLBOT_NOW", NOW)
        mp.delenv("BOT_USERNAME", raising=False)
        assert main(["demo", "--invites", str(folder / "invites.json")]) == 0
    return db, json.loads((folder / "invites.json").read_text())


def copy_of(demo: Path, env: Path) -> Path:
    """A consistent copy, WAL included (SQLite's backup API)."""
    with sqlite3.connect(demo) as src, sqlite3.connect(env) as dst:
        src.backup(dst)
    return env


def count(db: Path, table: str, where: str = "1=1") -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]


@pytest.mark.parametrize("args", [[], *SUBCOMMANDS])
def test_every_subcommand_has_help(args: list[str], capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0
    assert "usage: schoolbot" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["db", "downgrade"],
        ["invite", "--role", "guardian"],
        ["invite", "--role", "pope", "--id", "1"],
        ["invite", "--role", "student", "--id", "1", "--name", "x"],
        ["invite", "--role", "student", "--id", "1", "--days", "0"],
        ["demo", "--seed", "many"],
    ],
)
def test_bad_arguments_exit_2_and_touch_nothing(
    args: list[str], env: Path, capsys: pytest.CaptureFixture
) -> None:
    with pytest.raises(SystemExit) as done:
        main(args)
    assert done.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert not env.exists()


def test_bad_configuration_is_one_line(env: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SCHOOL_TIMEZONE", "Europe/Atlantis")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "SCHOOL_TIMEZONE" in err
    assert not env.exists()


def test_unreachable_database_is_one_clear_line(env: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert main(["db", "upgrade"]) == 1
    err = capsys.readouterr().err
    assert "базой данных" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("ru", "Не удалось запустить: не задан BOT_TOKEN"), ("en", "Cannot start: BOT_TOKEN")],
)
def test_run_without_a_token_is_one_line_in_the_console_language(
    env: Path, monkeypatch, capsys, locale: str, expected: str
) -> None:
    monkeypatch.setenv("DEFAULT_LOCALE", locale)
    assert main(["run"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and expected in err
    assert not env.exists()


def test_db_upgrade_creates_and_is_idempotent(env: Path, capsys) -> None:
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0
    assert "в актуальном состоянии" in capsys.readouterr().out
    with sqlite3.connect(env) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"marks", "lessons", "deliveries", "invites", "alembic_version"} <= tables


def test_demo_school_is_realistic(demo_file: tuple[Path, dict]) -> None:
    db, _ = demo_file
    assert count(db, "classes") >= 6
    assert count(db, "classes", "grade = 1") >= 1 and count(db, "classes", "grade = 11") >= 1
    assert count(db, "students") >= 150
    assert count(db, "guardians") >= 250
    with sqlite3.connect(db) as conn:
        two_children = conn.execute(
            "SELECT count(*) FROM (SELECT guardian_id FROM guardian_links "
            "GROUP BY guardian_id HAVING count(*) >= 2)"
        ).fetchone()[0]
        two_guardians = conn.execute(
            "SELECT count(*) FROM (SELECT student_id FROM guardian_links "
            "GROUP BY student_id HAVING count(*) >= 2)"
        ).fetchone()[0]
        first_grade_marks = conn.execute(
            "SELECT count(*) FROM marks JOIN students s ON s.id = marks.student_id "
            "JOIN classes c ON c.id = s.class_id WHERE c.grade = 1"
        ).fetchone()[0]
        first_grade_homework = conn.execute(
            "SELECT count(*) FROM homework h JOIN classes c ON c.id = h.class_id WHERE c.grade = 1"
        ).fetchone()[0]
        last_mark_day = conn.execute("SELECT max(day) FROM marks").fetchone()[0]
        roles = {r[0] for r in conn.execute("SELECT role FROM staff_roles")}
        closed = conn.execute(
            "SELECT count(*) FROM periods WHERE closed_at IS NOT NULL"
        ).fetchone()[0]
        finals = conn.execute(
            "SELECT count(*) FROM final_marks f JOIN periods p ON p.id = f.period_id "
            "WHERE p.closed_at IS NOT NULL"
        ).fetchone()[0]
    assert two_children > 0 and two_guardians > 0
    assert first_grade_marks == 0 and first_grade_homework == 0
    assert date.fromisoformat(last_mark_day) <= date(2026, 11, 18)
    assert {"admin", "director", "deputy", "teacher"} <= roles
    assert closed == 1 and finals > 0  # the first quarter, with its period marks
    assert count(db, "timetable_entries") > 0 and count(db, "lessons", "topic != ''") > 0
    assert count(db, "attendance") > 0 and count(db, "audit_log", "action = 'mark.correct'") > 0


def test_demo_data_obeys_the_rules(demo_file: tuple[Path, dict]) -> None:
    """Nothing in the demo could not have been entered by the rules: no future marks, no mark
    after its deadline, no homework outside its window, nothing written after "now"."""
    db, _ = demo_file
    now = datetime.fromisoformat(NOW + "+03:00")
    database = Database.connect(f"sqlite+aiosqlite:///{db}")

    async def check() -> None:
        async with database.uow(readonly=True) as uow:
            work_types = {w.id: w for w in await uow.work_types.list_all()}
            students = {s.id: s for s in await uow.students.list_all()}
            grades = {c.id: c.grade for c in await uow.classes.list_all()}
            checked = 0
            for s in list(students.values())[:40]:
                for mk in await uow.marks.history(s.id):
                    checked += 1
                    assert mk.created_at <= now
                    assert mk.day <= now.date()
                    wt = work_types[mk.work_type_id]
                    limit = 1 if not wt.written else (7 if grades[s.class_id] >= 10 else 5)
                    assert (mk.created_at.astimezone(now.tzinfo).date() - mk.day).days <= limit
            assert checked > 100
        await database.dispose()

    asyncio.run(check())


def test_demo_refuses_a_school_that_exists(demo_file, env: Path, capsys) -> None:
    copy_of(demo_file[0], env)
    before = count(env, "marks")
    assert main(["demo"]) == 1
    assert "уже есть школа" in capsys.readouterr().err
    assert count(env, "marks") == before


def test_demo_with_an_unwritable_invites_file_changes_nothing(env: Path, capsys) -> None:
    assert main(["demo", "--invites", "/nonexistent-dir/invites.json"]) == 1
    assert "/nonexistent-dir/invites.json" in capsys.readouterr().err
    assert not env.exists() or count(env, "schools") == 0


def test_demo_invites_work_once(demo_file, env: Path) -> None:
    _, invites = demo_file
    assert set(invites) >= {"guardian", "student", "teacher", "class_teacher", "admin"}
    assert len(invites["guardian"]["children"]) >= 2
    with sqlite3.connect(demo_file[0]) as conn:
        for entry in invites.values():
            code = entry["code"]
            assert len(code) == 22 and set(code) <= set(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            )
            row = conn.execute(
                "SELECT used_at, expires_at FROM invites WHERE code_hash = ?", (hash_code(code),)
            ).fetchone()
            assert row is not None and row[0] is None
        stored = {r[0] for r in conn.execute("SELECT code_hash FROM invites")}
    assert not any(entry["code"] in stored for entry in invites.values())  # hashes only


def test_invite_by_name_prints_code_and_link(demo_file, env: Path, monkeypatch, capsys) -> None:
    copy_of(demo_file[0], env)
    monkeypatch.setenv("BOT_USERNAME", "@school17_bot")
    with sqlite3.connect(env) as conn:
        last, first = conn.execute(
            "SELECT s.last_name, s.first_name FROM students s JOIN classes c ON c.id = s.class_id "
            "WHERE c.grade = 7 AND c.letter = 'А' ORDER BY s.id LIMIT 1"
        ).fetchone()
    assert main(["invite", "--role", "student", "--name", f"{last} {first}", "--class", "7А"]) == 0
    out = capsys.readouterr().out
    code = out.splitlines()[0].split()[-1]  # «Код приглашения: <name> — <code>»
    assert f"https://t.me/school17_bot?start={code}" in out
    assert count(env, "invites", f"code_hash = '{hash_code(code)}'") == 1


def test_invite_for_nobody_or_ambiguous_changes_nothing(demo_file, env: Path, capsys) -> None:
    copy_of(demo_file[0], env)
    before = count(env, "invites")
    assert main(["invite", "--role", "guardian", "--name", "Несуществующая Фамилия"]) == 1
    assert "не найдено" in capsys.readouterr().err
    assert main(["invite", "--role", "student", "--name", ""]) == 1  # everyone matches
    assert "--id" in capsys.readouterr().err
    assert main(["invite", "--role", "student", "--id", "999999"]) == 1
    assert count(env, "invites") == before


def test_invite_for_a_class_teacher_who_is_not_one_is_refused(demo_file, env: Path) -> None:
    copy_of(demo_file[0], env)
    with sqlite3.connect(env) as conn:
        admin = conn.execute("SELECT staff_id FROM staff_roles WHERE role = 'admin'").fetchone()[0]
    assert main(["invite", "--role", "class_teacher", "--id", str(admin)]) == 1
    assert main(["invite", "--role", "admin", "--id", str(admin)]) == 0
    assert count(env, "invites", f"role = '{m.PersonRole.ADMIN.value}'") >= 2
