"""The deputy's audited correction from the console: after the author's 7 days, with a reason."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from tests.test_cli import NOW, copy_of, count, demo_file, env  # noqa: F401 - fixtures

pytestmark = pytest.mark.usefixtures("env")


def old_mark_and_people(db: Path) -> tuple[int, str, int, int]:
    with sqlite3.connect(db) as conn:
        mark_id, value = conn.execute(
            "SELECT id, value FROM marks WHERE superseded_at IS NULL AND day < '2026-11-01' "
            "AND day > '2026-10-01' ORDER BY id LIMIT 1"
        ).fetchone()
        deputy = conn.execute("SELECT staff_id FROM staff_roles WHERE role = 'deputy'").fetchone()[
            0
        ]
        teacher = conn.execute(
            "SELECT staff_id FROM staff_roles WHERE role = 'teacher'"
        ).fetchone()[0]
    return mark_id, value, deputy, teacher


def test_deputy_corrects_an_old_mark_with_a_reason(demo_file, env: Path, capsys) -> None:  # noqa: F811
    db = copy_of(demo_file[0], env)
    with sqlite3.connect(db) as conn:  # the first quarter is closed: reopen it for the fix
        conn.execute("UPDATE periods SET closed_at = NULL WHERE number = 1")
    mark_id, value, deputy, _ = old_mark_and_people(db)
    new = "5" if value != "5" else "4"
    before = count(db, "marks")
    assert (
        main(
            [
                "correct-mark",
                "--mark",
                str(mark_id),
                "--value",
                new,
                "--reason",
                "Ошибка при переносе из бумажного журнала",
                "--by",
                str(deputy),
            ]
        )
        == 0
    )
    assert "в истории" in capsys.readouterr().out
    assert count(db, "marks") == before + 1
    assert count(db, "marks", f"id = {mark_id} AND superseded_at IS NOT NULL") == 1
    assert (
        count(
            db,
            "audit_log",
            f"entity_id = {mark_id} AND action = 'mark.correct' AND actor_id = {deputy}",
        )
        == 1
    )


def test_a_teacher_late_or_a_closed_period_is_refused(demo_file, env: Path, capsys) -> None:  # noqa: F811
    db = copy_of(demo_file[0], env)
    mark_id, _, deputy, teacher = old_mark_and_people(db)
    before = count(db, "marks")
    args = ["correct-mark", "--mark", str(mark_id), "--remove", "--reason", "ошибка"]
    assert main([*args, "--by", str(deputy)]) == 1  # the first quarter is closed
    assert "закрыт" in capsys.readouterr().err
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE periods SET closed_at = NULL WHERE number = 1")
    assert main([*args, "--by", str(teacher)]) == 1  # not the author, not a deputy
    assert capsys.readouterr().err
    assert count(db, "marks") == before
    assert count(db, "marks", "superseded_at IS NOT NULL") == count(
        demo_file[0], "marks", "superseded_at IS NOT NULL"
    )
