"""The user blocked the bot, or came back: pushes stop, or resume.

Telegram sends ``my_chat_member`` for a private chat only when the user blocks or unblocks the
bot. A 403 from a push marks the account inactive as well; this update brings it back. MAX's
``bot_stopped`` / ``dialog_removed`` arrive as the same update (bot.max.updates); its
``bot_started`` arrives as ``/start``, which brings the account back (handlers.start).
"""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import ChatMemberUpdated

from core.accounts import AccountService

router = Router(name=__name__)
router.my_chat_member.filter(F.chat.type == "private")


@router.my_chat_member()
async def on_my_chat_member(
    event: ChatMemberUpdated, accounts: AccountService, messenger: str
) -> None:
    status = event.new_chat_member.status
    if status in ("kicked", "left"):
        await accounts.set_active(messenger, str(event.from_user.id), False)
    elif status in ("member", "administrator", "creator", "restricted"):
        await accounts.set_active(messenger, str(event.from_user.id), True)
