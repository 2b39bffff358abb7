"""MAX's updates as aiogram ``Update``s, so the handlers written for Telegram serve MAX unchanged.

What the handlers see (the shared contract, DESIGN.md and issue #13):

* ``message_created`` -> ``message``. A private dialog's chat id is the user's id, as in
  Telegram; a group chat keeps MAX's chat id. Files become a ``document`` (a ``file_id`` of
  ``bot.max.files``), images a ``photo``; their text becomes the caption. Several attachments
  in one MAX message arrive as an album: one message each, sharing a ``media_group_id``.
* ``message_callback`` -> ``callback_query`` (id = MAX's callback_id, data = the payload, the
  pressed message with its keyboard).
* ``bot_started`` -> ``/start <payload>`` in the private chat, so a deep link's invite code is
  redeemed as Telegram's ``/start <code>`` is; ``/start`` also marks a stopped account active
  again (handlers.start), as Telegram's "member" update does.
* ``bot_stopped`` / ``dialog_removed`` -> ``my_chat_member`` with the bot "kicked".
* anything else -> nothing.

MAX's string message ids get numbers through ``MessageIds`` (kept in the database), so a later
edit by any process finds the message. Nothing of MAX's leaves this module but plain values.
"""

from __future__ import annotations

import hashlib
import itertools
from typing import TYPE_CHECKING, Any

from aiogram.types import Update

from bot.max.files import MaxFile, make_ref
from bot.max.ids import MessageIds

if TYPE_CHECKING:
    from aiogram import Bot

_update_ids = itertools.count(1)  # one sequence for the process: aiogram only logs it

CHAT_TYPES = {"dialog": "private", "chat": "group", "channel": "channel"}
FILE_KINDS = ("file", "video", "audio")  # arrive as a document: handlers take documents


def next_update_id() -> int:
    return next(_update_ids)


def _seconds(timestamp: Any) -> int:
    """MAX's times are milliseconds since the epoch."""
    try:
        return int(timestamp) // 1000
    except (TypeError, ValueError):
        return 0


def _user(raw: dict[str, Any], locale: str | None = None) -> dict[str, Any]:
    user: dict[str, Any] = {
        "id": int(raw["user_id"]),
        "is_bot": bool(raw.get("is_bot")),
        "first_name": raw.get("first_name") or raw.get("name") or "",
    }
    if raw.get("last_name"):
        user["last_name"] = raw["last_name"]
    if raw.get("username"):
        user["username"] = raw["username"]
    if locale:
        user["language_code"] = locale
    return user


def _private_chat(user: dict[str, Any]) -> dict[str, Any]:
    chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
    for name in ("last_name", "username"):
        if name in user:
            chat[name] = user[name]
    return chat


def _unique(*parts: Any) -> str:
    """A stable ``file_unique_id`` from what MAX tells of a file."""
    seed = "|".join(str(p) for p in parts)
    return hashlib.blake2s(seed.encode(), digest_size=12).hexdigest()


def _command_entities(text: str) -> list[dict[str, Any]]:
    """A ``bot_command`` entity for a text opening with a command, as Telegram marks it."""
    if not text.startswith("/") or len(text) < 2:
        return []
    command = text.split(maxsplit=1)[0]
    return [{"type": "bot_command", "offset": 0, "length": len(command.encode("utf-16-le")) // 2}]


def _keyboard(attachments: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The message's inline keyboard in aiogram's terms (handlers read it back from a press)."""
    for attachment in attachments:
        if attachment.get("type") != "inline_keyboard":
            continue
        rows = []
        for row in (attachment.get("payload") or {}).get("buttons") or []:
            buttons = []
            for button in row:
                shown: dict[str, Any] = {"text": button.get("text") or ""}
                if button.get("type") == "callback":
                    shown["callback_data"] = button.get("payload") or ""
                elif button.get("type") == "link" and button.get("url"):
                    shown["url"] = button["url"]
                buttons.append(shown)
            rows.append(buttons)
        return {"inline_keyboard": rows}
    return None


def _media(attachment: dict[str, Any]) -> dict[str, Any] | None:
    """A file or an image as the fields of a Telegram message; None for anything else."""
    kind = attachment.get("type")
    payload = attachment.get("payload") or {}
    if not isinstance(payload, dict):
        return None
    token = str(payload.get("token") or "")
    url = str(payload.get("url") or "")
    if kind == "image":
        ref = make_ref(MaxFile("image", token, url))
        unique = _unique("image", payload.get("photo_id") or token or url)
        return {"photo": [{"file_id": ref, "file_unique_id": unique, "width": 0, "height": 0}]}
    if kind in FILE_KINDS:
        name = str(attachment.get("filename") or payload.get("filename") or "")
        document: dict[str, Any] = {
            "file_id": make_ref(MaxFile(kind, token, url, name)),
            "file_unique_id": _unique(kind, payload.get("fileId") or token or url),
        }
        if name:
            document["file_name"] = name
        size = attachment.get("size") or payload.get("size")
        if isinstance(size, int):
            document["file_size"] = size
        return {"document": document}
    return None


class UpdateConverter:
    """One MAX update (its JSON) into the aiogram update(s) the handlers expect."""

    def __init__(self, ids: MessageIds, bot_user_id: int) -> None:
        self.ids = ids
        self.bot_user_id = bot_user_id

    async def convert(self, raw: dict[str, Any], bot: Bot | None = None) -> Update | None:
        """The update the handlers answer (of an album: its first message); None for a kind
        the bot does not handle. ``bot`` mounts the update on it (aiogram then copies none)."""
        found = await self.convert_all(raw, bot)
        return found[0] if found else None

    async def convert_all(self, raw: dict[str, Any], bot: Bot | None = None) -> list[Update]:
        """Every update one MAX update stands for, in the order to handle them: one, or one
        per file of a message carrying several (an album)."""
        kind = raw.get("update_type")
        if kind == "message_created":
            found = await self._message_created(raw)
        elif kind == "message_callback":
            found = await self._message_callback(raw)
        elif kind == "bot_started":
            found = self._bot_started(raw)
        elif kind in ("bot_stopped", "dialog_removed"):
            found = [self._membership(raw, active=False)]
        else:
            found = []
        context = {"bot": bot} if bot is not None else None
        return [
            Update.model_validate({"update_id": next_update_id(), **item}, context=context)
            for item in found
        ]

    # --- the kinds ---

    async def _message_created(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        message = raw.get("message") or {}
        sender = message.get("sender")
        if sender and int(sender.get("user_id", 0)) == self.bot_user_id:
            return []  # the bot's own words, as Telegram never hands them back
        found = await self._messages(message, raw.get("user_locale"), passing=True)
        return [{"message": m} for m in found]

    async def _message_callback(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        callback = raw.get("callback") or {}
        presser = _user(callback["user"], raw.get("user_locale"))
        query: dict[str, Any] = {"id": str(callback["callback_id"]), "from": presser}
        payload = callback.get("payload")
        if payload is not None:
            query["data"] = payload
        if raw.get("message"):
            shown = await self._messages(raw["message"], None, presser=presser, whole=True)
            query["message"] = shown[0]
            query["chat_instance"] = str(shown[0]["chat"]["id"])
        else:
            query["chat_instance"] = str(presser["id"])
        return [{"callback_query": query}]

    def _bot_started(self, raw: dict[str, Any]) -> list[dict[str, Any]]:
        user = _user(raw["user"], raw.get("user_locale"))
        payload = (raw.get("payload") or "").strip()
        text = f"/start {payload}" if payload else "/start"
        message = {
            "message_id": 0,  # no MAX message stands behind it: nothing may edit it
            "date": _seconds(raw.get("timestamp")),
            "chat": _private_chat(user),
            "from": user,
            "text": text,
            "entities": _command_entities(text),
        }
        return [{"message": message}]

    def _membership(self, raw: dict[str, Any], *, active: bool) -> dict[str, Any]:
        user = _user(raw["user"], raw.get("user_locale"))
        me = {"id": self.bot_user_id, "is_bot": True, "first_name": "bot"}
        member = {"status": "member", "user": me}
        kicked = {"status": "kicked", "user": me, "until_date": 0}
        return {
            "my_chat_member": {
                "chat": _private_chat(user),
                "from": user,
                "date": _seconds(raw.get("timestamp")),
                "old_chat_member": kicked if active else member,
                "new_chat_member": member if active else kicked,
            }
        }

    # --- messages ---

    async def _messages(
        self,
        message: dict[str, Any],
        locale: str | None,
        *,
        presser: dict[str, Any] | None = None,
        whole: bool = False,
        passing: bool = False,
    ) -> list[dict[str, Any]]:
        """A MAX message as Telegram messages: one, or one per attachment (an album).
        ``presser``: who pressed a button on it (the other side of a dialog); ``whole``: keep
        it one message (a pressed message: only its keyboard and text matter); ``passing``: a
        user's message, numbered in this process's memory only (``bot.max.ids``)."""
        body = message.get("body") or {}
        recipient = message.get("recipient") or {}
        sender = _user(message["sender"], locale) if message.get("sender") else None
        if recipient.get("chat_type", "dialog") == "dialog":
            # the dialog is named after the user in it, as Telegram names a private chat
            if presser is not None:
                partner = presser
            elif sender is not None and sender["id"] != self.bot_user_id:
                partner = sender
            else:
                partner = {"id": int(recipient.get("user_id") or 0), "first_name": ""}
            chat = _private_chat(partner)
        else:
            chat = {
                "id": int(recipient["chat_id"]),
                "type": CHAT_TYPES.get(recipient.get("chat_type"), "group"),
            }
        base: dict[str, Any] = {
            "message_id": (
                self.ids.passing(str(body["mid"]))
                if passing
                else await self.ids.number(str(body["mid"]))
            ),
            "date": _seconds(message.get("timestamp")),
            "chat": chat,
        }
        if sender is not None:
            base["from"] = sender
        attachments = [a for a in body.get("attachments") or [] if isinstance(a, dict)]
        keyboard = _keyboard(attachments)
        if keyboard is not None:
            base["reply_markup"] = keyboard
        text = body.get("text") or ""
        media = [] if whole else [m for m in map(_media, attachments) if m is not None]
        if not media:
            shown = dict(base)
            if text:
                shown["text"] = text
                shown["entities"] = _command_entities(text)
            return [shown]
        found = []
        for index, fields in enumerate(media):
            shown = {**base, **fields}
            if len(media) > 1:
                shown["media_group_id"] = str(body["mid"])
            if index == 0 and text:
                shown["caption"] = text
            found.append(shown)
        return found
