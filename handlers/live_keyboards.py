"""A keyboard knows what it was made for: of the messages showing a lesson in a chat, only the
newest one writes. A press on an older one does nothing and says so.

Each chat remembers, per lesson, the message its screens were last shown in. The record lives
under its own FSM ``destiny``, so ``state.clear()`` and the pending inputs never touch it, and
in the dispatcher's storage, so several instances share it (Redis). Repeated taps on the live
message keep working: its id does not change when it is redrawn. A message the record has never
seen (sent before a restart with the in-memory storage) is taken as live: the core still checks
every press, this only guards against pressing what is no longer on screen elsewhere.

A handler whose button writes is flagged ``flags=WRITES``; its callback data carries ``lesson``.
A message redrawn for a press on a lesson's button (navigation too) becomes the lesson's live
one (``shown``, called by the screens' ``show``); so does a lesson's keyboard posted as a new
message (``posted``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from typing import Any

from aiogram import BaseMiddleware
from aiogram.dispatcher.flags import get_flag
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, TelegramObject
from aiogram.utils.i18n import gettext as _

DESTINY = "live_keyboards"
KEEP = 40  # lessons remembered per chat: more than a teacher's week
WRITES = {"writes": True}

# The lesson whose button is being handled, and the chat's state: set around the handler.
_pressed: ContextVar[tuple[FSMContext, int] | None] = ContextVar("pressed", default=None)


def _record(state: FSMContext) -> FSMContext:
    return FSMContext(storage=state.storage, key=replace(state.key, destiny=DESTINY))


async def posted(state: FSMContext, lesson: int, message: Message | None) -> None:
    """``message`` now shows ``lesson``: the older ones of that lesson go out of date."""
    if not lesson or message is None:
        return
    record = _record(state)
    live = await record.get_data()
    key = str(lesson)
    if live.get(key) == message.message_id:
        return  # the hot path: taps on the live message write nothing here
    live.pop(key, None)
    live[key] = message.message_id
    for old in list(live)[:-KEEP]:
        del live[old]
    await record.set_data(live)


async def shown(message: Message | None) -> None:
    """The press being handled redrew ``message``: it now shows the press's lesson."""
    pressed = _pressed.get()
    if pressed is not None:
        await posted(pressed[0], pressed[1], message)


async def stale(state: FSMContext, lesson: int, message: Message | None) -> bool:
    """True when a newer message of the chat shows ``lesson``."""
    if not lesson or message is None:
        return False
    live = (await _record(state).get_data()).get(str(lesson))
    return live is not None and live != message.message_id


class LiveKeyboards(BaseMiddleware):
    """Refuses a flagged press from a message that is no longer the lesson's live one, and
    tells ``shown`` which lesson a press is about."""

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        lesson = getattr(data.get("callback_data"), "lesson", 0)
        state: FSMContext | None = data.get("state")
        if not isinstance(event, CallbackQuery) or not lesson or state is None:
            return await handler(event, data)
        message = event.message if isinstance(event.message, Message) else None
        if get_flag(data, "writes") and await stale(state, lesson, message):
            await event.answer(
                _(
                    "These buttons are out of date: the lesson is open in a newer message. "
                    "Please use that one."
                ),
                show_alert=True,
            )
            return None
        token = _pressed.set((state, lesson))
        try:
            return await handler(event, data)
        finally:
            _pressed.reset(token)


live_keyboards = LiveKeyboards()
