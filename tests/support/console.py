"""The real `schoolbot` command in a subprocess, for the end-to-end tests of both messengers."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


async def schoolbot(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )


async def stopped(proc: asyncio.subprocess.Process) -> str:
    """SIGTERM if still running; what it printed."""
    if proc.returncode is None:
        proc.send_signal(signal.SIGTERM)
    out, _ = await asyncio.wait_for(proc.communicate(), 30)
    return out.decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def demo_school(folder: Path, env_of: Callable[[str], dict[str, str]]) -> tuple[str, dict]:
    """``schoolbot demo --invites`` into a new SQLite file in ``folder`` (the slow part of a
    module's set-up): the database's URL and the invite codes it printed."""
    db_url = f"sqlite+aiosqlite:///{folder / 'school.db'}"
    invites = folder / "invites.json"

    async def load() -> None:
        proc = await schoolbot("demo", "--invites", str(invites), env=env_of(db_url))
        out, _ = await proc.communicate()
        assert proc.returncode == 0, out.decode()

    asyncio.run(load())
    return db_url, json.loads(invites.read_text(encoding="utf-8"))
