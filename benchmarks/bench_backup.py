"""Issue 12's figures for backups of the 1,000-student school: how long a signed backup takes
(encrypted, the default, and with BACKUP_ENCRYPT=0), its verification (signature, every file's
SHA-256, every table opened and counted), a restore into a scratch SQLite file and the drill.

    .venv/bin/python -m benchmarks.bench_backup        # ~1,100 students, late May

The school is the demo's big one (``benchmarks.common.BIG_SCHOOL``) in a SQLite file; each
step is timed once, as the nightly job and an administrator run it.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from datetime import datetime
from pathlib import Path

from benchmarks.common import BIG_SCHOOL, demo_school
from storage.backup import BackupKey, backup, count_rows, drill, restore, verify

KEY = BackupKey("bench-" + "k" * 40)


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


async def run(folder: Path) -> None:
    database, _clock, summary, load_s, path = await demo_school(
        datetime(2027, 5, 20, 16, 30), BIG_SCHOOL, folder
    )
    rows = await count_rows(f"sqlite+aiosqlite:///{path}")
    print(
        f"school: {summary.students} students, {summary.marks} marks, {sum(rows.values())} rows "
        f"in {len(rows)} tables, database {path.stat().st_size / 1e6:.1f} MB "
        f"(loaded in {load_s:.1f} s)"
    )
    try:
        for encrypt in (True, False):
            started = time.perf_counter()
            info = await backup(database, folder / "out", KEY, encrypt=encrypt)
            made = time.perf_counter() - started  # includes the verification backup() ends with
            started = time.perf_counter()
            verify(info.path, KEY)
            checked = time.perf_counter() - started
            print(
                f"backup ({'encrypted' if encrypt else 'BACKUP_ENCRYPT=0'}): {made:.2f} s "
                f"(its own verification included); verify alone {checked:.2f} s; "
                f"{_size(info.path) / 1e6:.1f} MB on disk"
            )
            started = time.perf_counter()
            scratch = folder / f"restored-{int(encrypt)}.db"
            await restore(info.path, f"sqlite+aiosqlite:///{scratch}", KEY)
            print(f"  restore into a scratch SQLite file: {time.perf_counter() - started:.2f} s")
            if encrypt:
                started = time.perf_counter()
                result = await drill(info.path, KEY)
                assert result.ok, result
                print(
                    f"  drill (restore + count every table): {time.perf_counter() - started:.2f} s"
                )
            shutil.rmtree(info.path)
    finally:
        await database.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="schoolbot-bench-backup-") as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
