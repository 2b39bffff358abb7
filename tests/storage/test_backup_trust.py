"""Backups that prove themselves (issue 12, item 3): whoever can write the backup folder but
does not hold the school's BACKUP_KEY cannot change a mark, drop the audit log or re-sign the
set; the data is encrypted and private; a drill restores the newest backup and counts."""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from storage import backup as backups
from storage.backup import (
    MANIFEST,
    SIGNATURE,
    SUMS,
    BackupError,
    BackupKey,
    backup,
    drill,
    last_drill,
    record_drill,
    resolve,
    restore,
    run_scheduled_backup,
    run_scheduled_drill,
    verify,
)
from storage.db import Database
from storage.tables import metadata

SECRET = "школа-ключ-" + "Z7q" * 12  # a distinctive BACKUP_KEY
KEY = BackupKey(SECRET)
THIEF = BackupKey("another key, not the school's, long enough")
WHEN = datetime(2026, 11, 18, 21, 0, tzinfo=UTC)
DATA_TABLES = {t.name for t in metadata.sorted_tables if t.info.get("backup", True)}


def _scratch(tmp_path: Path, name: str = "restored.db") -> str:
    return f"sqlite+aiosqlite:///{tmp_path / name}"


def _resum(folder: Path) -> None:
    """What anyone can do without the key: recompute SHA256SUMS over the changed files."""
    lines = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name not in (SUMS, SIGNATURE):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            lines.append(f"{digest}  {path.relative_to(folder).as_posix()}")
    (folder / SUMS).write_text("\n".join(lines) + "\n")


def _refused(code: str, folder: Path, key: BackupKey = KEY) -> None:
    with pytest.raises(BackupError) as refused:
        verify(folder, key)
    assert refused.value.code == code


async def _restore_refused(code: str, folder: Path, url: str, key: BackupKey = KEY) -> None:
    with pytest.raises(BackupError) as refused:
        await restore(folder, url, key)
    assert refused.value.code == code


async def test_every_table_counted_signed_encrypted_private(
    loaded: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    info = await backup(loaded, out, KEY, WHEN)
    manifest = json.loads((info.path / MANIFEST).read_text())
    assert set(manifest["rows"]) == DATA_TABLES  # every table the schema has
    assert manifest["rows"]["audit_log"] == 3 and manifest["encryption"] == "fernet"
    assert manifest["key_id"] == KEY.id and info.encrypted
    assert (info.path / SIGNATURE).read_text().startswith(f"hmac-sha256 {KEY.id} ")

    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    for path in [info.path, *info.path.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path

    names = ("Иванов".encode(), "Петрова".encode())
    for path in info.path.rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            assert SECRET.encode() not in raw and SECRET[-20:].encode() not in raw, path
            assert not any(n in raw for n in names), path  # encrypted at rest
            assert not raw.startswith(b"\x1f\x8b"), path  # no gzip in the clear


async def test_a_changed_mark_with_its_sums_recomputed_is_refused(
    loaded: Database, tmp_path: Path
) -> None:
    info = await backup(loaded, tmp_path / "out", KEY, WHEN, encrypt=False)
    students = gzip.decompress((info.path / "data" / "students.jsonl.gz").read_bytes())
    assert "Петрова".encode() in students  # BACKUP_ENCRYPT=0: readable, still signed
    marks = info.path / "data" / "marks.jsonl.gz"
    text = gzip.decompress(marks.read_bytes()).decode()
    assert '"value": "4"' in text
    marks.write_bytes(gzip.compress(text.replace('"value": "4"', '"value": "5"', 1).encode()))
    _resum(info.path)
    _refused("bad_signature", info.path)
    await _restore_refused("bad_signature", info.path, _scratch(tmp_path))
    assert not (tmp_path / "restored.db").exists()  # refused before anything is written


async def test_a_dropped_table_or_a_set_signed_with_another_key_is_refused(
    loaded: Database, tmp_path: Path
) -> None:
    info = await backup(loaded, tmp_path / "out", KEY, WHEN)
    manifest = json.loads((info.path / MANIFEST).read_text())
    del manifest["rows"]["audit_log"]
    (info.path / MANIFEST).write_text(json.dumps(manifest))
    (info.path / "data" / "audit_log.jsonl.gz.fernet").unlink()
    _resum(info.path)
    _refused("bad_signature", info.path)  # sums recomputed, signature left as it was

    (info.path / SIGNATURE).unlink()
    _refused("unsigned", info.path)

    backups._sign(info.path, THIEF)  # re-signed with a key that is not the school's
    _refused("other_key", info.path)
    await _restore_refused("other_key", info.path, _scratch(tmp_path))
    forged = (info.path / SIGNATURE).read_text().replace(THIEF.id, KEY.id)
    (info.path / SIGNATURE).write_text(forged)  # and claiming the school's key id
    _refused("bad_signature", info.path)

    # even signed with the school's key (a bug, not an attacker) a missing table is refused
    backups._sign(info.path, KEY)
    _refused("missing_table", info.path)
    await _restore_refused("missing_table", info.path, _scratch(tmp_path))


async def test_encryption_round_trip_and_a_wrong_key(loaded: Database, tmp_path: Path) -> None:
    """Restored into a scratch SQLite file whichever backend made it (the drill's path)."""
    info = await backup(loaded, tmp_path / "out", KEY, WHEN)
    _refused("other_key", info.path, THIEF)
    await _restore_refused("other_key", info.path, _scratch(tmp_path), THIEF)
    url = _scratch(tmp_path)
    await restore(info.path, url, KEY)
    restored = Database.connect(url)
    try:
        for table in (metadata.tables["marks"], metadata.tables["audit_log"]):
            query = select(table).order_by(table.c.id)
            async with loaded.engine.connect() as a, restored.engine.connect() as b:
                before = [dict(r) for r in (await a.execute(query)).mappings()]
                after = [dict(r) for r in (await b.execute(query)).mappings()]
            assert after == before and before
    finally:
        await restored.dispose()

    # a block of ciphertext swapped for one made with another key, the set re-signed by a key
    # holder: the block does not open
    sealed = info.path / "data" / "marks.jsonl.gz.fernet"
    sealed.write_bytes(THIEF.fernet.encrypt(b"junk") + b"\n")
    backups._sign(info.path, KEY)
    _refused("cannot_decrypt", info.path)


async def test_verify_and_restore_take_the_newest_backup_of_the_out_folder(
    loaded: Database, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = await backup(loaded, out, KEY, WHEN)
    second = await backup(loaded, out, KEY, WHEN)  # the same second: «…-2»
    third = await backup(loaded, out, KEY, datetime(2026, 11, 19, 21, 0, tzinfo=UTC))
    assert second.path.name == first.path.name + "-2"
    assert resolve(out) == third.path and resolve(first.path) == first.path
    (out / ".schoolbot-20261120-000000.partial").mkdir()  # a backup being written is not one
    assert resolve(out) == third.path
    assert verify(resolve(out), KEY).rows == third.rows
    with pytest.raises(BackupError) as refused:
        resolve(tmp_path / "empty")
    assert refused.value.code == "no_manifest"


async def test_the_drill_restores_the_newest_and_counts(
    loaded: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    await backup(loaded, out, KEY, WHEN)
    newest = await backup(loaded, out, KEY, datetime(2026, 11, 19, 21, 0, tzinfo=UTC))
    result = await drill(out, KEY, WHEN)
    assert result.ok and result.backup == newest.path.name and not result.differences

    record_drill(out, result, KEY)
    assert stat.S_IMODE((out / backups.DRILL_FILE).stat().st_mode) == 0o600
    assert last_drill(out, KEY) == result
    assert last_drill(out, THIEF) is None  # not signed by this key: not believed

    # a restore path that loses the audit log (the symptom) is caught by the counts
    original = backups._restore_table

    def losing(conn, table, path, fernet):
        if table.name != "audit_log":
            original(conn, table, path, fernet)

    monkeypatch.setattr(backups, "_restore_table", losing)
    result = await drill(out, KEY, WHEN)
    assert not result.ok and result.problem == "counts_differ"
    assert result.differences == (("audit_log", 3, 0),)
    record_drill(out, result, KEY)
    body = json.loads((out / backups.DRILL_FILE).read_text())
    body["drill"]["ok"], body["drill"]["differences"] = True, []
    (out / backups.DRILL_FILE).write_text(json.dumps(body))
    assert last_drill(out, KEY) is None  # a forged «ok» is not believed
    monkeypatch.undo()

    # a tampered newest backup: the drill says why it was refused
    marks = newest.path / "data" / "marks.jsonl.gz.fernet"
    marks.write_bytes(marks.read_bytes()[:-10] + b"AAAAAAAAA\n")
    result = await drill(out, KEY, WHEN)
    assert (result.ok, result.problem, result.backup) == (
        False,
        "checksum_mismatch",
        newest.path.name,
    )


async def test_the_scheduled_backup_and_drill_refuse_without_a_key(
    loaded: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    class Conf:
        database_url = loaded.url.render_as_string(hide_password=False)
        backup_dirs = f"{tmp_path / 'a'},{tmp_path / 'b'}"
        backup_keep = 3
        backup_key = None

    with caplog.at_level(logging.WARNING, logger="storage.backup"):
        assert await run_scheduled_backup(Conf, WHEN) == []
        assert await run_scheduled_drill(Conf, WHEN) is None
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2 and all("BACKUP_KEY is not set" in w for w in warnings)

    Conf.backup_key = "short"  # too short to be a key: refused the same way
    assert await run_scheduled_backup(Conf, WHEN) == []

    Conf.backup_key = SECRET
    made = await run_scheduled_backup(Conf, WHEN)
    assert [p.path.parent.name for p in made] == ["a", "b"]
    for info in made:
        assert stat.S_IMODE(info.path.parent.stat().st_mode) == 0o700
        for path in [info.path, *info.path.rglob("*")]:
            assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600)
    result = await run_scheduled_drill(Conf, WHEN)
    assert result is not None and result.ok and result.backup == made[0].path.name
    assert backups.backup_state(Conf).drill == result
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert SECRET not in text and SECRET[-20:] not in text


def test_the_scheduler_warns_at_start_without_a_key(caplog: pytest.LogCaptureFixture) -> None:
    from app.config import Settings
    from bot.pushes import backup_jobs
    from core.clock import make_clock

    clock = make_clock("Europe/Moscow", None)
    with caplog.at_level(logging.WARNING, logger="bot.pushes"):
        jobs = backup_jobs(Settings(_env_file=None, backup_dirs="/a,/b"), clock)
    assert [name for name, _job, _trigger in jobs] == ["backup", "backup drill"]
    assert "BACKUP_KEY is not" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.pushes"):
        backup_jobs(Settings(_env_file=None, backup_dirs="/a,/b", backup_key=SECRET), clock)
    assert caplog.text == ""
