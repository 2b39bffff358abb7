"""A file goes across messengers once: each messenger's own reference of the other's file is
kept in the database (``file_copies``), so a restart neither fetches a Telegram file again for
MAX nor downloads a MAX file again for Telegram."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiogram import Bot
from aiogram.methods import Response, SendDocument
from aiogram.types import BufferedInputFile, Chat, Document, Message

from bot.max.bot import build_max_bot, telegram_file_bridge
from bot.max.files import MaxFile, make_ref
from bot.max.ids import DatabaseMessageIds
from storage.db import Database
from storage.max_ids import FileCopyStore
from storage.migrate import upgrade
from tests.support.fake_max import MAX_TOKEN, FakeMaxAPI
from tests.support.local_server import LocalServer

PARENT = 601
TELEGRAM_REF = "BQACAgIAAxkBAAIBmWcHomework"


async def _database(tmp_path: Path) -> Database:
    url = f"sqlite+aiosqlite:///{tmp_path / 'copies.db'}"
    await upgrade(url)
    return Database.connect(url)


class Source:
    """Telegram's side of a file: counts each time its bytes are asked for."""

    def __init__(self) -> None:
        self.reads = 0

    async def read(self, ref: str) -> tuple[bytes, str]:
        self.reads += 1
        return b"%PDF homework", "homework.pdf"


async def test_a_telegram_file_goes_up_to_max_once_across_a_restart(tmp_path: Path) -> None:
    database = await _database(tmp_path)
    source = Source()
    try:
        async with FakeMaxAPI() as fake:
            for _restart in range(2):  # each time a new process: nothing in its memory
                bot = await build_max_bot(
                    MAX_TOKEN,
                    DatabaseMessageIds(database),
                    fake.base_url,
                    source,
                    FileCopyStore(database),
                )
                try:
                    await bot.send_document(PARENT, TELEGRAM_REF, caption="Д/з")
                finally:
                    await bot.session.close()
            assert source.reads == 1 and len(fake.uploads) == 1
            (upload,) = fake.uploads.values()
            sent = [m["body"]["attachments"][0] for m in fake.seen_by(PARENT)]
            assert sent == [{"type": "file", "payload": {"token": upload.token}}] * 2
    finally:
        await database.dispose()


class FileHost(LocalServer):
    """MAX's file URLs, counting downloads."""

    def __init__(self) -> None:
        super().__init__("127.0.0.1")
        self.downloads = 0

    def _routes(self, app: Any) -> None:
        from aiohttp import web

        async def serve(request: web.Request) -> web.Response:
            self.downloads += 1
            return web.Response(body=b"PK homework")

        app.router.add_get("/files/{name}", serve)


async def test_a_max_file_is_downloaded_for_telegram_once_across_a_restart(
    tmp_path: Path,
) -> None:
    database = await _database(tmp_path)
    sent: list[Any] = []

    async def telegram(bot: Bot, method: Any) -> Response[Any]:
        """Telegram taking the document: its own file_id for an upload, the same for a reuse."""
        sent.append(method.document)
        document = Document(file_id="BQACAgIAAxkBAAITelegramCopy", file_unique_id="u1")
        message = Message(
            message_id=len(sent), date=0, chat=Chat(id=7, type="private"), document=document
        )
        return Response[Message](ok=True, result=message)

    try:
        async with FileHost() as host:
            ref = make_ref(MaxFile("file", "tok", f"{host.base_url}/files/hw.pdf", "hw.pdf"))
            for _restart in range(2):
                bridge = telegram_file_bridge(copies=FileCopyStore(database))
                bot = Bot("42:TEST")
                try:
                    await bridge(telegram, bot, SendDocument(chat_id=7, document=ref))
                finally:
                    await bot.session.close()
            assert host.downloads == 1
            assert isinstance(sent[0], BufferedInputFile) and sent[0].data == b"PK homework"
            assert sent[1] == "BQACAgIAAxkBAAITelegramCopy"  # Telegram's own id, kept
    finally:
        await database.dispose()
