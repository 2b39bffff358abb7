"""The MAX bot: an ordinary ``aiogram.Bot`` whose session speaks MAX (``bot.max.session``).

aiogram wants a token shaped ``<digits>:<text>``; the MAX bot gets ``"<its user id>:max"`` and
the real token lives only in the session; ``app.viewers.messenger_of`` tells the two bots
apart. ``telegram_file_bridge`` is the mirror for the Telegram bot: a file that arrived in MAX (its
``"max:"`` ref) is downloaded by its URL and sent to Telegram as bytes.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import aiohttp
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetMe, Response, SendDocument, SendPhoto, TelegramMethod
from aiogram.types import BufferedInputFile

from bot.max.files import FileCopies, FileSource, parse_ref
from bot.max.ids import MessageIds
from bot.max.session import MAX_API_URL, MaxSession
from core import redaction
from core.redaction import one_line

logger = logging.getLogger(__name__)


class MaxTokenRejected(Exception):
    """MAX answered 401 to the token."""


class MaxUnreachable(Exception):
    """MAX's Bot API could not be asked (no connection, a timeout, an error answer)."""


async def build_max_bot(
    token: str,
    ids: MessageIds,
    api_url: str = MAX_API_URL,
    files: FileSource | None = None,
    copies: FileCopies | None = None,
) -> Bot:
    """The MAX bot, having asked ``GET /me`` once for its user id."""
    session = MaxSession(token, ids, api_url, files, copies=copies)
    try:
        me = await session.get_me(None, GetMe())
    except TelegramUnauthorizedError:
        await session.close()
        raise MaxTokenRejected("MAX_BOT_TOKEN was rejected by the MAX Bot API") from None
    except (TelegramAPIError, OSError, TimeoutError) as exc:
        await session.close()
        raise MaxUnreachable(
            f"the MAX Bot API cannot be reached: {redaction.one_line(exc)}"
        ) from None
    return Bot(
        f"{me.id}:max",
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


class TelegramFileBridge(BaseRequestMiddleware):
    """On the Telegram bot: a ``"max:"`` ref in ``SendPhoto``/``SendDocument`` becomes the
    file's bytes (downloaded from its MAX URL), which Telegram then takes as an upload."""

    FIELDS: ClassVar[dict[type[TelegramMethod[Any]], str]] = {
        SendPhoto: "photo",
        SendDocument: "document",
    }

    def __init__(self, timeout: float = 60.0, copies: FileCopies | None = None) -> None:
        self.timeout = timeout
        self.copies = copies  # MAX's files as Telegram knows them once sent, kept

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[Any],
        bot: Bot,
        method: TelegramMethod[Any],
    ) -> Response[Any]:
        field = self.FIELDS.get(type(method))
        value = getattr(method, field, None) if field else None
        file = parse_ref(value) if isinstance(value, str) else None
        if field is None or file is None:
            return await make_request(bot, method)
        copy = await self._kept(value)
        if copy is not None:  # sent to Telegram before: its own file_id
            return await make_request(bot, method.model_copy(update={field: copy}))
        data = await self._download(method, file.url)
        name = file.name or ("photo.jpg" if field == "photo" else "file")
        response = await make_request(
            bot, method.model_copy(update={field: BufferedInputFile(data, filename=name)})
        )
        sent = getattr(response, "result", None)
        got = sent.photo[-1] if getattr(sent, "photo", None) else getattr(sent, "document", None)
        if got is not None and self.copies is not None:
            try:
                await self.copies.put(value, "telegram", got.file_id)
            except Exception as exc:  # sent all the same; the next send downloads it again
                logger.warning("a MAX file's Telegram copy was not kept: %s", one_line(exc))
        return response

    async def _kept(self, ref: str) -> str | None:
        if self.copies is None:
            return None
        try:
            return await self.copies.get(ref, "telegram")
        except Exception as exc:  # then it is downloaded again
            logger.warning("a MAX file's Telegram copy could not be read: %s", one_line(exc))
            return None

    async def _download(self, method: TelegramMethod[Any], url: str) -> bytes:
        if not url:
            raise TelegramBadRequest(method=method, message="Bad Request: the MAX file has no URL")
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout)) as http,
                http.get(url) as response,
            ):
                if response.status != 200:
                    raise TelegramBadRequest(
                        method=method,
                        message=f"Bad Request: the MAX file answered HTTP {response.status}",
                    )
                return await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TelegramNetworkError(
                method=method, message=f"the MAX file: {type(exc).__name__}"
            ) from exc


def telegram_file_bridge(
    timeout: float = 60.0, copies: FileCopies | None = None
) -> TelegramFileBridge:
    """``telegram_bot.session.middleware(telegram_file_bridge())``."""
    return TelegramFileBridge(timeout, copies)
