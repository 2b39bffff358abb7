"""An aiohttp application on a free port of 127.0.0.1 for the length of a test: the lifecycle the
fake messenger APIs (``fake_api``, ``fake_max``) share."""

from __future__ import annotations

import asyncio
from typing import Self

from aiohttp import web


class LocalServer:
    """Started with ``async with``; ``base_url`` once it listens. Long polls wait on ``_tick``,
    which ``_bump`` sets: stopping releases them, so the shutdown does not wait for them."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.base_url = ""
        self._tick = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None

    def _routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> Self:
        app = web.Application(client_max_size=60 * 1024 * 1024)
        self._routes(app)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def stop(self) -> None:
        self._closing = True
        self._bump()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _bump(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()
