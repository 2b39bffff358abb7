"""Telegram's files for the other messenger: the bytes behind a Telegram ``file_id``.

When Telegram and MAX run together, a homework file or a broadcast's attachment that arrived in
Telegram is known by Telegram's ``file_id``, which means nothing in MAX: the MAX session reads
the bytes here (``bot.max.files.FileSource``) and uploads them.
"""

from __future__ import annotations

import io
from pathlib import PurePosixPath

from aiogram import Bot


class TelegramFiles:
    """A ``FileSource`` over the Telegram bot: ``getFile``, then the download."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def read(self, ref: str) -> tuple[bytes, str]:
        found = await self.bot.get_file(ref)
        if not found.file_path:
            raise FileNotFoundError("Telegram gave no path for the file")
        buffer = io.BytesIO()
        await self.bot.download_file(found.file_path, buffer)
        return buffer.getvalue(), PurePosixPath(found.file_path).name
