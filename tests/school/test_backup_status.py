"""The backups in the status (``/admin`` and ``schoolbot status``), on a school that came in
through its own files: no BACKUP_KEY blocks, the weekly restore drill's result is shown with
its date and backup, and what differed when it failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.config import Settings
from core.model import PersonRole
from storage import backup as backups
from tests.support import TgUser
from tests.support.school import ImportedSchool

ADMIN = TgUser(4501, "Ирина")  # T-001: the journal admin
SECRET = "drill-key-" + "8" * 30


def _settings(school: ImportedSchool, tmp_path: Path, key: str | None) -> Settings:
    return Settings(
        _env_file=None,
        bot_token="42:TEST",
        bot_username="schoolbot_test_bot",
        database_url=school.database.url.render_as_string(hide_password=False),
        backup_dirs=f"{tmp_path / 'a'},{tmp_path / 'b'}",
        backup_key=key,
    )


async def _status(school: ImportedSchool, settings: Settings) -> list[str]:
    await school.tester.send("/admin", user=ADMIN, settings=settings)
    return school.tester.last_text(ADMIN).split("\n")


async def test_the_status_shows_the_key_and_the_weekly_drill(
    school: ImportedSchool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await school.link(ADMIN, PersonRole.ADMIN, "T-001")
    unkeyed = _settings(school, tmp_path, None)
    lines = await _status(school, unkeyed)
    i = lines.index("   → <code>schoolbot backup key new</code>")
    assert lines[i - 1].startswith("⛔ Резервные копии не делаются: <code>BACKUP_KEY</code>")

    settings = _settings(school, tmp_path, SECRET)
    lines = await _status(school, settings)
    assert "   → <code>schoolbot backup key new</code>" not in lines
    i = lines.index("   → <code>schoolbot backup drill</code>")
    assert lines[i - 1].startswith("⚠️ Пробного восстановления ещё не было")

    now = school.clock.now()
    made = await backups.run_scheduled_backup(settings, now)
    result = await backups.run_scheduled_drill(settings, now)
    assert result is not None and result.ok
    lines = await _status(school, settings)
    assert "   → <code>schoolbot backup drill</code>" not in lines
    (done,) = [line for line in lines if line.startswith("✅")]
    assert f"копия {made[0].path.name} восстановлена" in done

    # the next week's drill finds the audit log lost on the way: ⛔ with what differed
    original = backups._restore_table

    def losing(conn, table, path, fernet):
        if table.name != "audit_log":
            original(conn, table, path, fernet)

    monkeypatch.setattr(backups, "_restore_table", losing)
    result = await backups.run_scheduled_drill(settings, now)
    assert result is not None and not result.ok
    lines = await _status(school, settings)
    i = lines.index("   → <code>schoolbot backup drill</code>")
    assert lines[i - 1].startswith("⛔ Пробное восстановление")
    assert f"({made[0].path.name})" in lines[i - 1]
    assert "audit_log: в описи строк — " in lines[i - 1] and "восстановлено — 0" in lines[i - 1]
    assert not any(line.startswith("✅") for line in lines)
