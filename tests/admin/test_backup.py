"""Backup while running, verify, restore into an empty database: the same data, row by row."""

from __future__ import annotations

import gzip
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from core import model as m
from storage.backup import (
    SUMS,
    BackupError,
    BackupKey,
    backup,
    prune,
    restore,
    run_scheduled_backup,
    verify,
)
from storage.db import Database
from storage.tables import metadata
from tests.admin.conftest import NOW, TZ

SECRET = "k" * 43  # BACKUP_KEY
KEY = BackupKey(SECRET)


async def everything(db: Database) -> dict[str, list[dict]]:
    async with db.engine.connect() as conn:
        return {
            t.name: [dict(r) for r in (await conn.execute(select(t).order_by(t.c.id))).mappings()]
            for t in metadata.sorted_tables
            if t.info.get("backup", True)  # access_changes counts changes, it is not data
        }


@pytest.fixture
async def journal(school: Database) -> Database:
    """The example school with a lesson, a corrected mark (a self-reference) and homework."""
    async with school.uow() as uow:
        (c7,) = [c for c in await uow.classes.list_all() if c.name == "7А"]
        teacher = next(s for s in await uow.staff.list_all() if s.source_id == "T-004")
        ivanov = next(s for s in await uow.students.list_all() if s.source_id == "S-101")
        subject = (await uow.subjects.list_all())[1]
        wt = await uow.work_types.add(m.WorkType(1, "oral", "У", "Устный ответ"))
        lesson = await uow.lessons.add(
            m.Lesson(c7.id, date(2026, 11, 16), 1, subject.id, teacher.id, topic="Дроби")
        )
        old = await uow.marks.add(
            m.Mark(
                lesson.id,
                ivanov.id,
                subject.id,
                lesson.day,
                m.MarkValue.THREE,
                wt.id,
                teacher.id,
                NOW,
            )
        )
        new = await uow.marks.add(
            m.Mark(
                lesson.id,
                ivanov.id,
                subject.id,
                lesson.day,
                m.MarkValue.FOUR,
                wt.id,
                teacher.id,
                NOW,
                comment="исправлено",
            )
        )
        old.superseded_at, old.superseded_by = NOW, new.id
        await uow.homework.add(
            m.Homework(
                lesson.id,
                c7.id,
                subject.id,
                lesson.day,
                date(2026, 11, 18),
                "№ 5",
                teacher.id,
                NOW,
                attachments=[m.Attachment("photo", "f-1", "p.jpg")],
            )
        )
        await uow.commit()
    return school


async def test_backup_verify_restore_gives_the_same_data(
    journal: Database, tmp_path: Path, db_url: str
) -> None:
    info = await backup(
        journal, tmp_path / "backups", KEY, datetime(2026, 11, 18, 21, 0, tzinfo=TZ)
    )
    assert info.path.name == "schoolbot-20261118-180000"
    assert info.rows["students"] == 7 and info.rows["marks"] == 2
    sums = (info.path / SUMS).read_text().splitlines()
    assert any(line.endswith("  data/marks.jsonl.gz.fernet") for line in sums)
    assert any(line.endswith("  manifest.json") for line in sums)
    if journal.is_sqlite:
        assert (info.path / "database.sqlite3.fernet").is_file()
    assert verify(info.path, KEY).rows == info.rows
    before = await everything(journal)
    target_url = f"sqlite+aiosqlite:///{tmp_path / 'restored.db'}" if journal.is_sqlite else None
    if target_url is None:  # PostgreSQL: restore into the emptied test database
        await journal.dispose()
        from tests.conftest import reset_database

        await reset_database(db_url)
        target_url = db_url
    await restore(info.path, target_url, KEY)
    restored = Database.connect(target_url)
    try:
        assert await everything(restored) == before
        async with restored.uow() as uow:  # new rows continue after the highest id
            assert isinstance(await uow.accounts.access_version(), int)
            added = await uow.subjects.add(m.Subject(1, "Физика"))
            assert added.id == len(before["subjects"]) + 1
    finally:
        await restored.dispose()


async def test_restore_refuses_a_database_that_is_not_empty(
    journal: Database, tmp_path: Path
) -> None:
    info = await backup(journal, tmp_path, KEY)
    with pytest.raises(BackupError) as refused:
        await restore(info.path, str(journal.url.render_as_string(hide_password=False)), KEY)
    assert refused.value.code == "not_empty"


async def test_verify_finds_a_changed_or_missing_file(journal: Database, tmp_path: Path) -> None:
    info = await backup(journal, tmp_path, KEY, encrypt=False)
    data = info.path / "data" / "students.jsonl.gz"
    content = gzip.decompress(data.read_bytes()).replace("Иванов".encode(), "Петров".encode())
    data.write_bytes(gzip.compress(content))
    with pytest.raises(BackupError) as refused:
        verify(info.path, KEY)
    assert (refused.value.code, refused.value.facts) == (
        "checksum_mismatch",
        {"file": "data/students.jsonl.gz"},
    )
    data.unlink()
    with pytest.raises(BackupError) as refused:
        verify(info.path, KEY)
    assert refused.value.code == "missing_file"


async def test_the_scheduled_backup_writes_two_places_and_keeps_the_newest(
    journal: Database, tmp_path: Path
) -> None:
    class Conf:
        database_url = journal.url.render_as_string(hide_password=False)
        backup_dirs = f"{tmp_path / 'a'}, {tmp_path / 'b'}"
        backup_keep = 2
        backup_key = SECRET

    for hour in (1, 2, 3):
        made = await run_scheduled_backup(Conf, datetime(2026, 11, 18, hour, tzinfo=TZ))
        assert [p.path.parent.name for p in made] == ["a", "b"]
    for place in ("a", "b"):
        names = sorted(p.name for p in (tmp_path / place).iterdir())
        assert names == ["schoolbot-20261117-230000", "schoolbot-20261118-000000"]
        verify(tmp_path / place / names[-1], KEY)
    assert prune(tmp_path / "a", 1) == [tmp_path / "a" / "schoolbot-20261117-230000"]


async def test_the_backup_after_a_period_ends_is_kept_for_good(
    journal: Database, tmp_path: Path
) -> None:
    """Rule 12: backups at each period's end, beside the nightly ones that roll over: the one
    taken after the period closed (its window for period marks over), holding its marks."""
    async with journal.uow(readonly=True) as uow:
        year = await uow.years.containing(date(2026, 11, 18))
        periods = await uow.periods.for_year(year.id)
    first = periods[0]
    closed = datetime.combine(first.ends_on, time(0, 10), tzinfo=TZ) + timedelta(days=3)
    async with journal.uow() as uow:
        period = await uow.periods.get(first.id)
        period.closed_at = closed
        await uow.commit()

    class Conf:
        database_url = journal.url.render_as_string(hide_password=False)
        backup_dirs = f"{tmp_path / 'a'}, {tmp_path / 'b'}"
        backup_keep = 1
        backup_key = SECRET
        school_timezone = "Europe/Moscow"

    night_after = closed + timedelta(hours=2, minutes=20)
    made = await run_scheduled_backup(Conf, night_after - timedelta(days=1))  # before it closed
    assert not any("-period" in p.path.name for p in made)
    made = await run_scheduled_backup(Conf, night_after)
    assert all(p.path.name.endswith(f"-period{first.number}") for p in made)
    for later in (2, 3, 4):  # ordinary nights: only the newest of those is kept
        made = await run_scheduled_backup(Conf, night_after + timedelta(days=later))
        assert not any("-period" in p.path.name for p in made)
    for place in ("a", "b"):
        names = sorted(p.name for p in (tmp_path / place).iterdir())
        assert len(names) == 2 and names[0].endswith(f"-period{first.number}")
        verify(tmp_path / place / names[0], KEY)
