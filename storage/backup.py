"""Online backups, their verification and restore (rule 12: backups with integrity checks).

A backup is a folder: ``data/<table>.jsonl.gz`` (every row of every table, in id order, read in
one snapshot transaction while the bot keeps working: SQLite's WAL and PostgreSQL's REPEATABLE
READ both give a consistent picture), ``manifest.json`` (schema revision, row counts) and
``SHA256SUMS`` (``sha256sum -c`` compatible) over all of them. On SQLite the database file is
also copied with SQLite's online backup API (``database.sqlite3``). The dump is logical, so it
restores exactly into an empty SQLite or PostgreSQL database, whichever made it; no pg_dump is
needed on the machine.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.engine import Connection

from core.model import Attachment
from storage.db import Database, normalize_url
from storage.migrate import _alembic, _in_transaction
from storage.tables import metadata

FORMAT = 1
SUMS = "SHA256SUMS"
MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
PREFIX = "schoolbot-"
CHUNK = 5_000


class BackupError(Exception):
    """A backup that cannot be made, verified or restored; ``code`` and ``facts`` say why."""

    def __init__(self, code: str, **facts: Any) -> None:
        super().__init__(f"{code}: {facts}")
        self.code = code
        self.facts = facts


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    revision: str
    rows: dict[str, int]
    created_at: datetime

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _encode(value: Any) -> Any:
    if value is None or (
        isinstance(value, bool | int | float | str) and not isinstance(value, Enum)
    ):
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, time):
        return {"$t": value.isoformat()}
    if isinstance(value, list):
        return {"$att": [{"kind": a.kind, "ref": a.ref, "name": a.name} for a in value]}
    raise TypeError(f"cannot back up a {type(value).__name__}")


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$d" in value:
            return date.fromisoformat(value["$d"])
        if "$t" in value:
            return time.fromisoformat(value["$t"])
        if "$att" in value:
            return [Attachment(a["kind"], a["ref"], a.get("name", "")) for a in value["$att"]]
    return value


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tables() -> list[Table]:
    return [t for t in metadata.sorted_tables if t.info.get("backup", True)]


async def backup(database: Database, out: Path, now: datetime | None = None) -> BackupInfo:
    """A new folder ``schoolbot-<UTC time>`` inside ``out`` with a verified backup."""
    now = now or datetime.now(UTC)
    target, partial = _new_folder(out, now)
    try:
        rows, revision = await _dump(database, partial / "data")
        if database.is_sqlite and database.url.database not in (None, "", ":memory:"):
            await asyncio.to_thread(
                _sqlite_copy, Path(database.url.database), partial / SQLITE_COPY
            )
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(UTC).isoformat(),
            "backend": database.backend,
            "revision": revision,
            "rows": rows,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _write_sums(partial)
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return verify(target)


def _new_folder(out: Path, now: datetime) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    name = PREFIX + now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    target = out / name
    n = 1
    while target.exists():
        n += 1
        target = out / f"{name}-{n}"
    partial = out / f".{target.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    (partial / "data").mkdir(parents=True)
    return target, partial


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


async def _dump(database: Database, folder: Path) -> tuple[dict[str, int], str]:
    rows: dict[str, int] = {}
    engine = database.read_engine
    options = {} if database.is_sqlite else {"isolation_level": "REPEATABLE READ"}
    async with engine.connect() as conn:
        conn = await conn.execution_options(**options)
        async with conn.begin():
            revision = (
                await conn.execute(text("SELECT version_num FROM alembic_version"))
            ).scalar()
            for table in _tables():
                count = 0
                path = folder / f"{table.name}.jsonl.gz"
                result = await conn.stream(select(table).order_by(table.c.id))
                with gzip.open(path, "wt", encoding="utf-8", compresslevel=6) as fp:
                    async for part in result.mappings().partitions(CHUNK):
                        for row in part:
                            record = {k: _encode(v) for k, v in row.items()}
                            fp.write(json.dumps(record, ensure_ascii=False) + "\n")
                            count += 1
                rows[table.name] = count
    if not revision:
        raise BackupError("no_schema")
    return rows, str(revision)


def _write_sums(folder: Path) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != SUMS)
    lines = [f"{sha256(p)}  {p.relative_to(folder).as_posix()}" for p in files]
    (folder / SUMS).write_text("\n".join(lines) + "\n", encoding="utf-8")


def verify(folder: Path) -> BackupInfo:
    """Every file's SHA-256 as listed, every table present with its row count."""
    sums = folder / SUMS
    if not sums.is_file():
        raise BackupError("no_manifest", path=str(folder))
    listed: dict[str, str] = {}
    for line in sums.read_text(encoding="utf-8").splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            listed[name] = digest
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            raise BackupError("missing_file", file=name)
        if sha256(path) != digest:
            raise BackupError("checksum_mismatch", file=name)
    if MANIFEST not in listed:
        raise BackupError("no_manifest", path=str(folder))
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError("bad_format", value=manifest.get("format"))
    rows: dict[str, int] = manifest["rows"]
    for table, count in rows.items():
        name = f"data/{table}.jsonl.gz"
        if name not in listed:
            raise BackupError("missing_file", file=name)
        with gzip.open(folder / name, "rt", encoding="utf-8") as fp:
            found = sum(1 for _ in fp)
        if found != count:
            raise BackupError("row_count_mismatch", file=name, expected=count, found=found)
    return BackupInfo(
        folder, manifest["revision"], rows, datetime.fromisoformat(manifest["created_at"])
    )


def _read_rows(path: Path) -> Iterable[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as fp:
        for line in fp:
            yield {k: _decode(v) for k, v in json.loads(line).items()}


async def restore(folder: Path, url: str) -> BackupInfo:
    """Into an empty database only, in one transaction: the schema at the backup's revision,
    then every row with its id; PostgreSQL's id sequences continue after the highest id."""
    info = verify(folder)
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config

    scripts = ScriptDirectory.from_config(alembic_config())
    try:
        scripts.get_revision(info.revision)
    except Exception:
        raise BackupError("unknown_revision", revision=info.revision) from None
    known = {t.name: t for t in _tables()}
    unknown = sorted(set(info.rows) - set(known))
    if unknown:
        raise BackupError("unknown_table", table=unknown[0])

    def work(conn: Connection) -> None:
        names = set(conn.dialect.get_table_names(conn))
        if names & (set(known) | {"alembic_version"}):
            raise BackupError("not_empty")
        from alembic import command

        _alembic(command.upgrade, info.revision)(conn)
        for name in (t.name for t in _tables()):
            if name not in info.rows:
                continue
            table = known[name]
            self_refs = [
                c.name
                for c in table.columns
                if any(fk.column.table is table for fk in c.foreign_keys)
            ]
            later: list[dict[str, Any]] = []
            batch: list[dict[str, Any]] = []
            for row in _read_rows(folder / "data" / f"{name}.jsonl.gz"):
                if self_refs and any(row.get(c) is not None for c in self_refs):
                    later.append({"id": row["id"], **{c: row[c] for c in self_refs}})
                    row = {**row, **{c: None for c in self_refs}}
                batch.append(row)
                if len(batch) >= CHUNK:
                    conn.execute(insert(table), batch)
                    batch = []
            if batch:
                conn.execute(insert(table), batch)
            for fix in later:
                values = {c: fix[c] for c in self_refs}
                conn.execute(update(table).where(table.c.id == fix["id"]).values(**values))
            if conn.dialect.name == "postgresql" and info.rows[name]:
                top = conn.execute(select(func.max(table.c.id))).scalar()
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                    {"t": name, "v": top},
                )

    await _in_transaction(normalize_url(url), work)
    return info


def backups_in(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(PREFIX))


PERIOD_END = "-period"  # in a folder's name: the backup made as a period ended; kept for good


def prune(folder: Path, keep: int) -> list[Path]:
    """Drop all but the newest ``keep`` nightly backups in ``folder`` (period-end backups are
    never dropped: rule 12); returns what was removed."""
    rolling = [p for p in backups_in(folder) if PERIOD_END not in p.name]
    old = rolling[: max(0, len(rolling) - keep)]
    for path in old:
        shutil.rmtree(path)
    return old


async def _period_closed_lately(database: Database, now: datetime) -> int | None:
    """The number of a study period closed in the last day (by itself, the night its window for
    period marks ended, or by the admin): its backup holds its period marks."""
    since = now - timedelta(days=1)
    async with database.uow(readonly=True) as uow:
        for period in await uow.periods.list_all():
            if period.closed_at is not None and since < period.closed_at <= now:
                return period.number
    return None


async def run_scheduled_backup(settings: Any, now: datetime | None = None) -> list[BackupInfo]:
    """For the scheduler, nightly: a backup into every folder of ``settings.backup_dirs`` (two
    places, rule 12), nightly ones beyond ``settings.backup_keep`` removed. The night a period
    has closed (by itself, after its window for period marks: the scheduler closes periods
    before it backs up) the backup is marked as that period's and kept for good. The first
    folder gets a fresh dump; the others a verified copy of it."""
    dirs = [Path(d) for d in _dirs(getattr(settings, "backup_dirs", ""))]
    if not dirs:
        return []
    keep = int(getattr(settings, "backup_keep", 14) or 14)
    now = now or datetime.now(UTC)
    database = Database.connect(settings.database_url)
    try:
        first = await backup(database, dirs[0], now)
        ended = await _period_closed_lately(database, now)
    finally:
        await database.dispose()
    if ended is not None:
        kept = first.path.with_name(f"{first.path.name}{PERIOD_END}{ended}")
        os.replace(first.path, kept)
        first = replace(first, path=kept)
    made = [first]
    for folder in dirs[1:]:
        folder.mkdir(parents=True, exist_ok=True)
        copy = folder / first.path.name
        partial = folder / f".{first.path.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        await asyncio.to_thread(shutil.copytree, first.path, partial)
        os.replace(partial, copy)
        made.append(verify(copy))
    for folder in dirs:
        prune(folder, keep)
    return made


def backup_places(settings: Any) -> int:
    """How many folders the scheduled backups go to (``BACKUP_DIRS``)."""
    return len(_dirs(getattr(settings, "backup_dirs", "")))


def _dirs(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if str(v).strip()]
    return [p.strip() for p in str(value or "").replace(";", ",").split(",") if p.strip()]
