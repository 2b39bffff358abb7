"""The narrow port the delivery worker sends through, and the errors it understands.

A messenger adapter (``AiogramSender`` of ``bot/telegram/sender.py``, for the Telegram bot
and the MAX one alike) implements ``Sender`` and turns its library's exceptions into these, so the
worker's retry policy knows nothing of any messenger. The worker holds one per messenger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from core.model import Attachment


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    data: str  # callback data, at most 64 bytes


Buttons = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to one chat: text (HTML), buttons, and at most one photo or document."""

    chat_id: str
    text: str
    buttons: Buttons = ()
    attachment: Attachment | None = None
    file: tuple[str, bytes] | None = None  # a file made at send time: name, bytes


class SendError(Exception):
    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason


class RetryLater(SendError):
    """Flood control (429): wait ``seconds`` before trying this chat again."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds}")
        self.seconds = seconds


class Blocked(SendError):
    """The user blocked the bot or deleted the account (403): stop until they come back."""


class BadRequest(SendError):
    """The request itself is wrong (400): retrying cannot help."""


class Transient(SendError):
    """A network error, a timeout or a server error (5xx): try again later."""


class Unknown(Transient):
    """No answer in time (a timeout, a dropped connection): the message may have been
    delivered. Tried again like the others, and counted as a possible repeat."""


class Sender(Protocol):
    async def send_text(self, chat_id: str, text: str, buttons: Buttons = ()) -> str:
        """Send; return the message id. Raises one of the errors above."""
        ...

    async def send_photo(
        self, chat_id: str, ref: str, caption: str, buttons: Buttons = ()
    ) -> str: ...

    async def send_document(
        self, chat_id: str, ref: str, caption: str, buttons: Buttons = ()
    ) -> str: ...

    async def send_file(
        self, chat_id: str, name: str, data: bytes, caption: str, buttons: Buttons = ()
    ) -> str:
        """Upload a document made for this message (``notifications.files``)."""
        ...

    async def edit_text(
        self, chat_id: str, message_ref: str, text: str, buttons: Buttons = ()
    ) -> None: ...


async def send(sender: Sender, message: Outgoing) -> str:
    """Send one outgoing message through the port; returns the messenger's message id."""
    if message.file is not None:
        name, data = message.file
        return await sender.send_file(message.chat_id, name, data, message.text, message.buttons)
    item = message.attachment
    if item is None:
        return await sender.send_text(message.chat_id, message.text, message.buttons)
    if item.kind == "photo":
        return await sender.send_photo(message.chat_id, item.ref, message.text, message.buttons)
    return await sender.send_document(message.chat_id, item.ref, message.text, message.buttons)
