"""The administrator's subcommands through ``schoolbot``: help, bad input, a whole round."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from tests.admin.conftest import EXAMPLES, FIXTURES

SUBCOMMANDS = [
    ["import"],
    ["import", "roster"],
    ["import", "timetable"],
    ["import", "oneroster"],
    ["backup"],
    ["backup", "verify"],
    ["restore"],
    ["export"],
    ["export", "journal"],
    ["export", "statement"],
    ["report"],
    ["period"],
    ["period", "close"],
    ["period", "reopen"],
    ["audit"],
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'school.db'}")
    monkeypatch.setenv("SCHOOLBOT_NOW", "2026-11-18T10:00:00")
    monkeypatch.setenv("DEFAULT_LOCALE", "ru")
    monkeypatch.setenv("BACKUP_KEY", "k" * 43)
    assert main(["db", "upgrade"]) == 0
    return tmp_path


@pytest.mark.parametrize("args", SUBCOMMANDS)
def test_every_admin_subcommand_has_help(args: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main([*args, "--help"])
    assert done.value.code == 0 and "usage: schoolbot" in capsys.readouterr().out


def test_a_whole_round_from_import_to_restore(env: Path, capsys, monkeypatch) -> None:
    assert main(["import", "roster", str(EXAMPLES / "roster.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "ученики: добавлено 7, изменено 0, без изменений 0" in out
    assert "виды работ: добавлено 11" in out  # the standard set: the school has none of its own
    assert (
        main(["import", "timetable", str(EXAMPLES / "timetable.csv"), str(EXAMPLES / "bells.csv")])
        == 0
    )
    # the timetable's lessons from today on: 7А's days of three weeks
    assert "уроки: добавлено " in capsys.readouterr().out
    assert main(["export", "journal", "--class", "7А", "--period", "2", "--out", str(env)]) == 0
    book = load_workbook(env / "2026-2027_2_7А.xlsx")
    assert book.sheetnames == [
        "Английский язык (Англ. гр. 1)",
        "Английский язык (Англ. гр. 2)",
        "История",
        "Математика",
    ]
    assert main(["report", "guardians", "--class", "7А", "--out", str(env / "g.xlsx")]) == 0
    sheet = load_workbook(env / "g.xlsx").active
    assert (
        sheet["A4"].value == "Ёлкина Дарья Павловна"
        and sheet["B4"].value == "Ёлкин Павел Андреевич"
    )
    assert main(["period", "close", "1"]) == 0
    with pytest.raises(SystemExit) as refused:  # --reason is required
        main(["period", "reopen", "1"])
    assert refused.value.code == 2
    assert main(["period", "reopen", "1", "--reason", "исправление ошибки"]) == 0
    assert main(["backup", "--out", str(env / "bk")]) == 0
    (folder,) = (env / "bk").iterdir()
    assert main(["backup", "verify", str(folder)]) == 0
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{env / 'restored.db'}")
    assert main(["restore", str(folder)]) == 0
    assert "Восстановлено" in capsys.readouterr().out


def test_a_refused_import_exits_non_zero_with_file_and_line(env: Path, capsys) -> None:
    code = main(["import", "oneroster", str(FIXTURES / "catalyst" / "v1p2_full_dataset.zip")])
    err = capsys.readouterr().err
    assert code == 1
    assert "manifest.csv:21: file.scoreScales должно быть bulk, delta или absent" in err
    assert err.strip().endswith("Ничего не импортировано: ошибок — 3, они перечислены выше.")


def test_an_unreadable_file_and_a_damaged_backup(env: Path, capsys) -> None:
    bad = env / "students.csv"
    bad.write_bytes("student_id;class\n".encode("utf-16"))
    assert main(["import", "roster", str(bad)]) == 1
    assert "students.csv:1: текст не в кодировке UTF-8 или Windows-1251" in capsys.readouterr().err
    assert main(["backup", "verify", str(env)]) == 1
    assert "не резервная копия" in capsys.readouterr().err
