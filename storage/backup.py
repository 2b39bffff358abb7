"""Online backups that prove themselves: signed, encrypted, verified, restored, drilled (rule 12:
backups with integrity checks).

A backup is a folder ``schoolbot-<UTC time>``: ``data/<table>.jsonl.gz`` (every row of every
table, in id order, read in one snapshot transaction while the bot keeps working: SQLite's WAL
and PostgreSQL's REPEATABLE READ both give a consistent picture), ``manifest.json`` (schema
revision, every table with its row count), ``SHA256SUMS`` (``sha256sum -c`` compatible) over all
of them and ``SIGNATURE``: an HMAC-SHA256 of ``SHA256SUMS`` with a key derived from the school's
``BACKUP_KEY``, so whoever can write the files but does not hold the key cannot change a row,
drop a table or re-sign the set. On SQLite the database file is also copied with SQLite's online
backup API (``database.sqlite3``). With encryption (the default) the data files and the copy are
Fernet-encrypted in 1 MiB blocks (``….fernet``, one token a line) with another key derived from
``BACKUP_KEY``; the manifest holds no personal data and stays readable. The key never goes into
a backup: only its fingerprint (``key_id``). Files are 0600, folders 0700.

The dump is logical, so it restores exactly into an empty SQLite or PostgreSQL database; no
pg_dump is needed on the machine. A drill restores the newest backup into a scratch SQLite
database and compares every table's row count with the manifest.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import hashlib
import hmac
import io
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum
from pathlib import Path
from typing import IO, Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Table, func, insert, select, text, update
from sqlalchemy.engine import Connection

from core.model import Attachment
from core.status import Backups, Drill
from storage.db import Database, normalize_url
from storage.migrate import _alembic, _in_transaction, head_revision
from storage.tables import metadata

logger = logging.getLogger(__name__)

FORMAT = 2  # 1: unsigned SHA256SUMS only (refused: anyone could have rewritten it)
SUMS = "SHA256SUMS"
SIGNATURE = "SIGNATURE"
MANIFEST = "manifest.json"
SQLITE_COPY = "database.sqlite3"
SEALED = ".fernet"
DRILL_FILE = "drill.json"  # the last restore drill, beside the backups, signed
PREFIX = "schoolbot-"
CHUNK = 5_000
BLOCK = 1 << 20  # plaintext bytes per Fernet token
MIN_KEY_LENGTH = 32
FILE_MODE, DIR_MODE = 0o600, 0o700


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
    encrypted: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _derive(secret: bytes, purpose: bytes) -> bytes:
    kdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"schoolbot-backup", info=purpose)
    return kdf.derive(secret)


class BackupKey:
    """The school's ``BACKUP_KEY``: one subkey signs, another encrypts, a third names it (the
    fingerprint ``id`` is all a backup or a message ever shows of it)."""

    __slots__ = ("_fernet", "_sign", "id")

    def __init__(self, secret: str) -> None:
        raw = secret.strip().encode()
        if len(raw) < MIN_KEY_LENGTH:
            raise BackupError("weak_key", length=MIN_KEY_LENGTH)
        self._sign = _derive(raw, b"sign")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(raw, b"encrypt")))
        self.id = _derive(raw, b"id")[:6].hex()

    def sign(self, data: bytes) -> str:
        return hmac.new(self._sign, data, hashlib.sha256).hexdigest()

    def signs(self, data: bytes, signature: str) -> bool:
        return hmac.compare_digest(self.sign(data), signature)

    @property
    def fernet(self) -> Fernet:
        return self._fernet

    def __repr__(self) -> str:
        return f"BackupKey(id={self.id})"


def new_key() -> str:
    """A fresh ``BACKUP_KEY`` (256 random bits), for ``schoolbot backup key new``."""
    return secrets.token_urlsafe(32)


def key_of(settings: Any) -> BackupKey | None:
    """``settings.backup_key`` as a key; None when unset; ``BackupError`` when too short."""
    value = getattr(settings, "backup_key", None)
    if value is not None and hasattr(value, "get_secret_value"):
        value = value.get_secret_value()
    if not value or not str(value).strip():
        return None
    return BackupKey(str(value))


class _SealingWriter(io.RawIOBase):
    """Writes Fernet tokens of ``BLOCK`` plaintext bytes each, one a line."""

    def __init__(self, fp: IO[bytes], fernet: Fernet) -> None:
        self._fp, self._fernet, self._buf = fp, fernet, bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buf += data
        while len(self._buf) >= BLOCK:
            self._seal(BLOCK)
        return len(data)

    def _seal(self, n: int) -> None:
        chunk = bytes(self._buf[:n])
        del self._buf[:n]
        self._fp.write(self._fernet.encrypt(chunk) + b"\n")

    def close(self) -> None:
        if not self.closed:
            if self._buf:
                self._seal(len(self._buf))
            self._fp.close()
        super().close()


class _OpeningReader(io.RawIOBase):
    """Reads back what ``_SealingWriter`` wrote; a token that does not open: ``cannot_decrypt``."""

    def __init__(self, fp: IO[bytes], fernet: Fernet, name: str) -> None:
        self._fp, self._fernet, self._name = fp, fernet, name
        self._buf, self._at = b"", 0

    def readable(self) -> bool:
        return True

    def readinto(self, target: Any) -> int:
        while self._at >= len(self._buf):
            line = self._fp.readline()
            if not line:
                return 0
            try:
                self._buf, self._at = self._fernet.decrypt(line.strip()), 0
            except InvalidToken:
                raise BackupError("cannot_decrypt", file=self._name) from None
        n = min(len(target), len(self._buf) - self._at)
        target[:n] = self._buf[self._at : self._at + n]
        self._at += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._fp.close()
        super().close()


def _open_write(path: Path, fernet: Fernet | None) -> IO[bytes]:
    fp = open(path, "wb")
    return fp if fernet is None else _SealingWriter(fp, fernet)  # type: ignore[return-value]


def _open_read(path: Path, fernet: Fernet | None, name: str) -> IO[bytes]:
    fp = open(path, "rb")
    if fernet is None:
        return fp
    return io.BufferedReader(_OpeningReader(fp, fernet, name), BLOCK)  # type: ignore[return-value]


@contextlib.contextmanager
def _jsonl(path: Path, mode: str, fernet: Fernet | None, name: str = "") -> Iterator[IO[str]]:
    raw = _open_write(path, fernet) if mode == "w" else _open_read(path, fernet, name)
    with raw, gzip.open(raw, mode + "t", encoding="utf-8", compresslevel=6) as fp:
        yield fp


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


NOT_DATA = frozenset(t.name for t in metadata.sorted_tables if not t.info.get("backup", True))


def _data_file(table: str, encrypted: bool) -> str:
    return f"data/{table}.jsonl.gz" + (SEALED if encrypted else "")


async def backup(
    database: Database,
    out: Path,
    key: BackupKey,
    now: datetime | None = None,
    *,
    encrypt: bool = True,
) -> BackupInfo:
    """A new folder ``schoolbot-<UTC time>`` inside ``out`` with a signed, verified backup."""
    now = now or datetime.now(UTC)
    fernet = key.fernet if encrypt else None
    target, partial = _new_folder(out, now)
    try:
        rows, revision = await _dump(database, partial, fernet)
        if database.is_sqlite and database.url.database not in (None, "", ":memory:"):
            await asyncio.to_thread(
                _sqlite_copy, Path(database.url.database), partial / SQLITE_COPY, fernet
            )
        manifest = {
            "format": FORMAT,
            "created_at": now.astimezone(UTC).isoformat(),
            "backend": database.backend,
            "revision": revision,
            "encryption": "fernet" if encrypt else None,
            "key_id": key.id,
            "rows": rows,
        }
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        _sign(partial, key)
        _lock_down(partial)
        os.replace(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return verify(target, key)


def _private_dir(path: Path) -> None:
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    path.chmod(DIR_MODE)


def _lock_down(folder: Path) -> None:
    """Children's data: readable by the bot's user only."""
    folder.chmod(DIR_MODE)
    for path in folder.rglob("*"):
        path.chmod(DIR_MODE if path.is_dir() else FILE_MODE)


def _new_folder(out: Path, now: datetime) -> tuple[Path, Path]:
    if not out.exists():
        _private_dir(out)  # an existing folder (a mount, a share) keeps its own mode
    name = PREFIX + now.astimezone(UTC).strftime("%Y%m%d-%H%M%S")
    target = out / name
    n = 1
    while target.exists():
        n += 1
        target = out / f"{name}-{n}"
    partial = out / f".{target.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    _private_dir(partial)
    _private_dir(partial / "data")
    return target, partial


def _sqlite_copy(source: Path, target: Path, fernet: Fernet | None) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    if fernet is not None:
        with (
            target.open("rb") as plain,
            _open_write(target.with_name(target.name + SEALED), fernet) as sealed,
        ):
            shutil.copyfileobj(plain, sealed, BLOCK)
        target.unlink()


async def _dump(
    database: Database, folder: Path, fernet: Fernet | None
) -> tuple[dict[str, int], str]:
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
                path = folder / _data_file(table.name, fernet is not None)
                result = await conn.stream(select(table).order_by(table.c.id))
                with _jsonl(path, "w", fernet) as fp:
                    async for part in result.mappings().partitions(CHUNK):
                        for row in part:
                            record = {k: _encode(v) for k, v in row.items()}
                            fp.write(json.dumps(record, ensure_ascii=False) + "\n")
                            count += 1
                rows[table.name] = count
    if not revision:
        raise BackupError("no_schema")
    return rows, str(revision)


def _sign(folder: Path, key: BackupKey) -> None:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in (SUMS, SIGNATURE))
    lines = [f"{sha256(p)}  {p.relative_to(folder).as_posix()}" for p in files]
    sums = ("\n".join(lines) + "\n").encode()
    (folder / SUMS).write_bytes(sums)
    (folder / SIGNATURE).write_text(f"hmac-sha256 {key.id} {key.sign(sums)}\n", encoding="utf-8")


def _check_signature(folder: Path, key: BackupKey) -> bytes:
    """The signed SHA256SUMS, or why not: nothing here is believed before this passes."""
    sums, signature = folder / SUMS, folder / SIGNATURE
    if not sums.is_file() or not (folder / MANIFEST).is_file():
        raise BackupError("no_manifest", path=str(folder))
    if not signature.is_file():
        raise BackupError("unsigned", path=str(folder))
    content = sums.read_bytes()
    parts = signature.read_text(encoding="utf-8", errors="replace").split()
    if len(parts) != 3 or parts[0] != "hmac-sha256":
        raise BackupError("bad_signature")
    if not key.signs(content, parts[2]):
        if parts[1] != key.id:
            raise BackupError("other_key", found=parts[1][:12], expected=key.id)
        raise BackupError("bad_signature")
    return content


def resolve(path: Path) -> Path:
    """A backup folder itself, or the ``--out`` folder the backups are made in: its newest."""
    if (path / MANIFEST).is_file() or (path / SUMS).is_file():
        return path
    found = backups_in(path)
    if not found:
        raise BackupError("no_manifest", path=str(path))
    return found[-1]


def verify(folder: Path, key: BackupKey) -> BackupInfo:
    """Signed by the school's key; every file's SHA-256 as listed; the manifest lists every
    table of its schema; every table file opens and has the listed row count."""
    listed: dict[str, str] = {}
    for line in _check_signature(folder, key).decode("utf-8").splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            listed[name] = digest
    for name, digest in listed.items():
        path = folder / name
        if not path.is_file():
            raise BackupError("missing_file", file=name)
        if not hmac.compare_digest(sha256(path), digest):
            raise BackupError("checksum_mismatch", file=name)
    if MANIFEST not in listed:
        raise BackupError("no_manifest", path=str(folder))
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError("bad_format", value=manifest.get("format"))
    rows: dict[str, int] = manifest["rows"]
    encrypted = manifest.get("encryption") == "fernet"
    if manifest["revision"] == head_revision():
        missing = sorted(t.name for t in _tables() if t.name not in rows)
        if missing:
            raise BackupError("missing_table", table=missing[0])
    fernet = key.fernet if encrypted else None
    for table, count in rows.items():
        name = _data_file(table, encrypted)
        if name not in listed:
            raise BackupError("missing_file", file=name)
        with _jsonl(folder / name, "r", fernet, name) as fp:
            found = sum(1 for _ in fp)
        if found != count:
            raise BackupError("row_count_mismatch", file=name, expected=count, found=found)
    return BackupInfo(
        folder,
        manifest["revision"],
        rows,
        datetime.fromisoformat(manifest["created_at"]),
        encrypted,
    )


def _read_rows(path: Path, fernet: Fernet | None) -> Iterable[dict[str, Any]]:
    with _jsonl(path, "r", fernet, path.name) as fp:
        for line in fp:
            yield {k: _decode(v) for k, v in json.loads(line).items()}


async def restore(folder: Path, url: str, key: BackupKey) -> BackupInfo:
    """Into an empty database only, in one transaction: the schema at the backup's revision,
    then every row with its id; PostgreSQL's id sequences continue after the highest id. A
    table of that schema missing from the backup refuses it all."""
    info = verify(folder, key)
    fernet = key.fernet if info.encrypted else None
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
        schema = set(conn.dialect.get_table_names(conn)) - NOT_DATA - {"alembic_version"}
        missing = sorted(schema - set(info.rows))
        if missing:
            raise BackupError("missing_table", table=missing[0])
        for name in (t.name for t in _tables()):
            if name not in info.rows:
                continue
            _restore_table(conn, known[name], folder / _data_file(name, info.encrypted), fernet)
            if conn.dialect.name == "postgresql" and info.rows[name]:
                top = conn.execute(select(func.max(known[name].c.id))).scalar()
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :v)"),
                    {"t": name, "v": top},
                )

    await _in_transaction(normalize_url(url), work)
    return info


def _restore_table(conn: Connection, table: Table, path: Path, fernet: Fernet | None) -> None:
    self_refs = [
        c.name for c in table.columns if any(fk.column.table is table for fk in c.foreign_keys)
    ]
    later: list[dict[str, Any]] = []
    batch: list[dict[str, Any]] = []
    for row in _read_rows(path, fernet):
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


_NAME = re.compile(re.escape(PREFIX) + r"(\d{8}-\d{6})(?:-(\d+))?")


def _age(path: Path) -> tuple[str, int, str]:
    found = _NAME.match(path.name)
    if found is None:
        return ("", 0, path.name)
    return (found.group(1), int(found.group(2) or 1), path.name)


def backups_in(folder: Path) -> list[Path]:
    """The backups in a folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(
        (p for p in folder.iterdir() if p.is_dir() and p.name.startswith(PREFIX)), key=_age
    )


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


def _scheduled_key(settings: Any, what: str) -> BackupKey | None:
    """The key, or a warning in the log and None: nothing is made or trusted unsigned."""
    try:
        key = key_of(settings)
    except BackupError:
        key = None
    if key is None:
        logger.warning(
            "%s refused: BACKUP_KEY is not set or shorter than %d characters; create one with "
            "`schoolbot backup key new` and keep a copy off this server",
            what,
            MIN_KEY_LENGTH,
        )
    return key


async def run_scheduled_backup(settings: Any, now: datetime | None = None) -> list[BackupInfo]:
    """For the scheduler, nightly: a backup into every folder of ``settings.backup_dirs`` (two
    places, rule 12), nightly ones beyond ``settings.backup_keep`` removed. The night a period
    has closed (by itself, after its window for period marks: the scheduler closes periods
    before it backs up) the backup is marked as that period's and kept for good. The first
    folder gets a fresh dump; the others a verified copy of it. Refused (a warning in the log,
    nothing made) without ``BACKUP_KEY``."""
    dirs = backup_dirs(settings)
    if not dirs:
        return []
    key = _scheduled_key(settings, "the scheduled backup")
    if key is None:
        return []
    keep = int(getattr(settings, "backup_keep", 14) or 14)
    encrypt = bool(getattr(settings, "backup_encrypt", True))
    now = now or datetime.now(UTC)
    database = Database.connect(settings.database_url)
    try:
        first = await backup(database, dirs[0], key, now, encrypt=encrypt)
        ended = await _period_closed_lately(database, now)
    finally:
        await database.dispose()
    if ended is not None:
        kept = first.path.with_name(f"{first.path.name}{PERIOD_END}{ended}")
        os.replace(first.path, kept)
        first = replace(first, path=kept)
    made = [first]
    for folder in dirs[1:]:
        if not folder.exists():
            _private_dir(folder)
        copy = folder / first.path.name
        partial = folder / f".{first.path.name}.partial"
        shutil.rmtree(partial, ignore_errors=True)
        _private_dir(partial)
        await asyncio.to_thread(shutil.copytree, first.path, partial, dirs_exist_ok=True)
        _lock_down(partial)
        os.replace(partial, copy)
        made.append(verify(copy, key))
    for folder in dirs:
        prune(folder, keep)
    return made


async def count_rows(url: str) -> dict[str, int]:
    """Rows in every data table of a database (the drill's scratch one)."""

    def work(conn: Connection) -> dict[str, int]:
        names = set(conn.dialect.get_table_names(conn)) - NOT_DATA - {"alembic_version"}
        return {
            name: int(conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar() or 0)
            for name in sorted(names)
        }

    return await _in_transaction(normalize_url(url), work)


async def drill(where: Path, key: BackupKey, now: datetime | None = None) -> Drill:
    """Rule 12's integrity check made real: the newest backup in ``where`` (or that backup)
    restored into a scratch SQLite database, each table's rows counted against the manifest."""
    now = now or datetime.now(UTC)
    name = ""
    try:
        folder = resolve(where)
        name = folder.name
        with tempfile.TemporaryDirectory(prefix="schoolbot-drill-") as scratch:
            url = f"sqlite+aiosqlite:///{Path(scratch) / 'drill.db'}"
            info = await restore(folder, url, key)
            found = await count_rows(url)
    except BackupError as exc:
        return Drill(now, name, False, exc.code, dict(exc.facts))
    differences = tuple(
        (table, info.rows.get(table, 0), found.get(table, 0))
        for table in sorted(set(info.rows) | set(found))
        if info.rows.get(table, 0) != found.get(table, 0)
    )
    return Drill(
        now, name, not differences, "counts_differ" if differences else "", {}, differences
    )


def _drill_payload(result: Drill) -> bytes:
    record = asdict(result)
    record["ran_at"] = result.ran_at.astimezone(UTC).isoformat()
    return json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode()


def record_drill(folder: Path, result: Drill, key: BackupKey) -> None:
    """The drill's result beside the backups, signed (a forged «ok» is not believed)."""
    payload = _drill_payload(result)
    body = {"drill": json.loads(payload), "hmac": key.sign(b"drill\n" + payload)}
    if not folder.exists():
        _private_dir(folder)
    partial = folder / f".{DRILL_FILE}.partial"
    partial.write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.chmod(FILE_MODE)
    os.replace(partial, folder / DRILL_FILE)


def last_drill(folder: Path, key: BackupKey) -> Drill | None:
    """The drill recorded in ``folder``, if its signature holds."""
    try:
        body = json.loads((folder / DRILL_FILE).read_text(encoding="utf-8"))
        record = body["drill"]
        result = Drill(
            datetime.fromisoformat(record["ran_at"]),
            str(record["backup"]),
            bool(record["ok"]),
            str(record.get("problem", "")),
            dict(record.get("facts", {})),
            tuple((str(t), int(a), int(b)) for t, a, b in record.get("differences", ())),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not key.signs(b"drill\n" + _drill_payload(result), str(body.get("hmac", ""))):
        logger.warning("the restore drill record in %s is not signed by BACKUP_KEY", folder)
        return None
    return result


async def run_scheduled_drill(settings: Any, now: datetime | None = None) -> Drill | None:
    """For the scheduler, weekly: a drill of the newest backup in the first ``BACKUP_DIRS``
    folder, recorded there for ``schoolbot status`` and ``/admin``."""
    dirs = backup_dirs(settings)
    if not dirs:
        return None
    key = _scheduled_key(settings, "the restore drill")
    if key is None:
        return None
    # a loop of its own: the restore's decoding does not hold up the bot's answers
    result = await asyncio.to_thread(asyncio.run, drill(dirs[0], key, now))
    record_drill(dirs[0], result, key)
    if result.ok:
        logger.info("restore drill of %s: every table's row count matches", result.backup)
    else:
        logger.error(
            "restore drill of %s failed: %s %s %s",
            result.backup or dirs[0],
            result.problem,
            result.facts,
            list(result.differences),
        )
    return result


def backup_state(settings: Any) -> Backups:
    """What ``schoolbot status`` and ``/admin`` show of the backups."""
    dirs = backup_dirs(settings)
    try:
        key = key_of(settings)
    except BackupError:
        key = None
    drill_result = last_drill(dirs[0], key) if dirs and key is not None else None
    return Backups(len(dirs), key is not None, drill_result, len({device_of(d) for d in dirs}))


def device_of(folder: Path) -> int:
    """The device a folder is on (its nearest existing parent's, before it is made): two places
    on one device are one medium (001 §10.3: «минимум на двух носителях»); a mounted disk or
    share is a device of its own."""
    path = folder.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path.stat().st_dev


OFF = frozenset({"off", "none", "no", "0"})  # BACKUP_DIRS=off: no scheduled backups at all


def default_backup_dir(settings: Any) -> Path:
    """Where backups go when BACKUP_DIRS is not set: ``backups`` beside a SQLite database file;
    for PostgreSQL (or an in-memory database) ``backups`` in the working directory."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(str(getattr(settings, "database_url", "") or "sqlite://"))
    except ArgumentError:  # a URL the database refuses anyway; not the backup's to say so
        url = make_url("sqlite://")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database).absolute().parent / "backups"  # type: ignore[arg-type]
    return Path.cwd() / "backups"


def backup_dirs(settings: Any) -> list[Path]:
    """The folders the scheduled backups go to (``BACKUP_DIRS``: comma- or semicolon-separated);
    unset: the one beside the database (``default_backup_dir``); ``off``: none (rule 12: on by
    default, two media asked for by ``schoolbot status``)."""
    value = getattr(settings, "backup_dirs", "")
    if isinstance(value, list | tuple):
        return [Path(str(v).strip()) for v in value if str(v).strip()]
    text = str(value or "").strip()
    if text.lower() in OFF:
        return []
    dirs = [Path(p.strip()) for p in text.replace(";", ",").split(",") if p.strip()]
    return dirs or [default_backup_dir(settings)]
