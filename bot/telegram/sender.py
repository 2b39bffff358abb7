"""The delivery worker's ``Sender`` over aiogram: the Bot API's errors become the port's four.

It serves both bots: the Telegram one, and the MAX one (an ``aiogram.Bot`` whose session,
``bot.max.session.MaxSession``, speaks MAX and raises aiogram's exceptions), so the worker's
retry policy is the same for each messenger; only the pace differs (``notifications.worker``).
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import EditMessageText, SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from aiohttp import ServerDisconnectedError

from notifications.sender import BadRequest, Blocked, Buttons, RetryLater, Transient, Unknown

logger = logging.getLogger(__name__)

REQUEST_TIMEOUT = 20  # seconds; a slower answer is a timeout, retried with back-off


def _markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.data) for b in row]
            for row in buttons
        ]
    )


class AiogramSender:
    """A ``notifications.sender.Sender`` over one aiogram bot, Telegram's or MAX's."""

    def __init__(self, bot: Bot, timeout: float = REQUEST_TIMEOUT) -> None:
        self.bot = bot
        self.timeout = timeout

    async def _call(self, method: TelegramMethod[Message] | TelegramMethod[Message | bool]) -> str:
        try:
            result = await self.bot(method, request_timeout=self.timeout)
        except TelegramRetryAfter as exc:
            raise RetryLater(float(exc.retry_after), exc.message) from exc
        except TelegramForbiddenError as exc:
            raise Blocked(exc.message) from exc
        except (TelegramBadRequest, TelegramNotFound, TelegramMigrateToChat) as exc:
            raise BadRequest(exc.message) from exc
        except TelegramNetworkError as exc:
            if isinstance(exc.__cause__, (TimeoutError, ServerDisconnectedError)):
                raise Unknown(exc.message) from exc  # it may have been delivered
            raise Transient(exc.message) from exc
        except TelegramServerError as exc:
            raise Transient(exc.message) from exc
        except TelegramAPIError as exc:  # 401, 409 and whatever comes next: try again later
            raise Transient(f"{type(exc).__name__}: {exc.message}") from exc
        except TimeoutError as exc:
            raise Unknown(repr(exc)) from exc
        except OSError as exc:
            raise Transient(repr(exc)) from exc
        except Exception as exc:
            # Not the Bot API's answer: the session's own step failed, perhaps after the
            # messenger took the message (MAX's session notes the message's id in the
            # database, which may be away). It may have gone: retried, counted as a repeat.
            logger.warning("a send ended in %s; it may have been delivered", type(exc).__name__)
            raise Unknown(repr(exc)) from exc
        message_id = getattr(result, "message_id", None)
        return str(message_id) if message_id is not None else ""

    async def send_text(self, chat_id: str, text: str, buttons: Buttons = ()) -> str:
        return await self._call(
            SendMessage(
                chat_id=int(chat_id),
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(buttons),
            )
        )

    async def send_photo(self, chat_id: str, ref: str, caption: str, buttons: Buttons = ()) -> str:
        return await self._call(
            SendPhoto(
                chat_id=int(chat_id),
                photo=ref,
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(buttons),
            )
        )

    async def send_document(
        self, chat_id: str, ref: str, caption: str, buttons: Buttons = ()
    ) -> str:
        return await self._call(
            SendDocument(
                chat_id=int(chat_id),
                document=ref,
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(buttons),
            )
        )

    async def send_file(
        self, chat_id: str, name: str, data: bytes, caption: str, buttons: Buttons = ()
    ) -> str:
        return await self._call(
            SendDocument(
                chat_id=int(chat_id),
                document=BufferedInputFile(data, filename=name),
                caption=caption or None,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(buttons),
            )
        )

    async def edit_text(
        self, chat_id: str, message_ref: str, text: str, buttons: Buttons = ()
    ) -> None:
        try:
            await self._call(
                EditMessageText(
                    chat_id=int(chat_id),
                    message_id=int(message_ref),
                    text=text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=_markup(buttons),
                )
            )
        except BadRequest as exc:
            if "not modified" not in exc.reason:
                raise
