"""The top of /admin tells the administration what the school still lacks (``core.status``), on
a school that came in through its own files; the menu offers each role its own screens."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from core.model import PersonRole
from storage import backup
from tests.support import TgUser
from tests.support.school import ImportedSchool

ADMIN = TgUser(4401, "Ирина")  # T-001: the journal admin
DEPUTY = TgUser(4402, "Наталья")  # T-003: the deputy
DIRECTOR = TgUser(4403, "Виктор")  # T-002
TEACHER = TgUser(4404, "Анна")  # T-004


def _settings(backup_dirs: str) -> Settings:
    return Settings(
        _env_file=None,
        bot_token="42:TEST",
        bot_username="schoolbot_test_bot",
        backup_dirs=backup_dirs,
    )


def _buttons(school: ImportedSchool, user: TgUser) -> list[str]:
    return [text for row in school.tester.keyboard(user) for text, _data in row]


def _backup_line(text: str) -> str | None:
    """The finding above the BACKUP_DIRS fix, or None when backups are in order."""
    lines = text.split("\n")
    fixes = [i for i, line in enumerate(lines) if "BACKUP_DIRS=" in line]
    return lines[fixes[0] - 1] if fixes else None


async def test_the_admin_menu_starts_with_what_the_school_lacks(
    school: ImportedSchool, monkeypatch: pytest.MonkeyPatch
) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    await school.tester.send("/admin", user=ADMIN)
    text = school.tester.last_text(ADMIN)
    assert "2026/2027" in text
    assert "Смирнова А.П." in text  # a teacher of the timetable not signed in yet
    assert "schoolbot invites --staff" in text  # and the command that fixes it
    assert text.endswith("Администрирование. Что вы хотите сделать?")
    backups = _backup_line(text)
    assert backups is not None and backups.startswith("⛔")  # the tests' BACKUP_DIRS=off
    buttons = _buttons(school, ADMIN)
    assert "🗓 Уроки и замены" in buttons and "🎓 Новый учебный год" in buttons

    await school.tester.send("/admin", user=ADMIN, settings=_settings("/backups/a"))
    backups = _backup_line(school.tester.last_text(ADMIN))
    assert backups is not None and backups.startswith("⚠️")  # one place: a warning
    two = _settings("/backups/a; /mnt/b, ")
    await school.tester.send("/admin", user=ADMIN, settings=two)
    backups = _backup_line(school.tester.last_text(ADMIN))
    assert backups is not None and "на одном диске" in backups  # not mounted: one medium
    media = {Path("/backups/a"): 1, Path("/mnt/b"): 2}  # as if /mnt/b were a mounted disk
    monkeypatch.setattr(backup, "device_of", lambda folder: media[folder])
    await school.tester.send("/admin", user=ADMIN, settings=two)
    assert _backup_line(school.tester.last_text(ADMIN)) is None


async def test_each_role_gets_its_menu(school: ImportedSchool) -> None:
    await school.link(DEPUTY, PersonRole.DEPUTY, "T-003")
    await school.link(DIRECTOR, PersonRole.DIRECTOR, "T-002")
    await school.link(TEACHER, PersonRole.TEACHER, "T-004")

    await school.tester.send("/admin", user=DEPUTY)
    buttons = _buttons(school, DEPUTY)
    assert "🗓 Уроки и замены" in buttons and "🎓 Новый учебный год" not in buttons
    assert "Администрирование" in school.tester.last_text(DEPUTY)

    await school.tester.send("/admin", user=DIRECTOR)
    buttons = _buttons(school, DIRECTOR)
    assert "🗓 Уроки и замены" not in buttons and "📊 Отчёты и выгрузки" in buttons

    await school.tester.send("/admin", user=TEACHER)
    assert "нет доступа" in school.tester.last_text(TEACHER)
