"""/settings: language, quiet hours and which pushes to get."""

from __future__ import annotations

from datetime import time

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from app import keyboards as kb
from app.commands import set_chat_commands
from app.keyboards import SettingCb, inline
from app.messages import MESSENGERS, messenger_name
from app.viewers import ViewerCache
from core.access import Viewer
from core.accounts import AccountService, PushPlaces
from core.errors import ValidationFailed
from core.model import Account

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

QUIET_PRESETS = [
    ("21-8", time(21), time(8)),
    ("22-7", time(22), time(7)),
    ("20-8", time(20), time(8)),
    ("off", None, None),
]
DIGEST_HOURS = [17, 18, 19, 20, 21]
MARK_MODES = ["each", "digest", "off"]


def _on(flag: bool) -> str:
    return _("on") if flag else _("off")


def _next(items: list, current) -> object:
    return items[(items.index(current) + 1) % len(items)] if current in items else items[0]


def _quiet_key(account: Account) -> str:
    for key, start, end in QUIET_PRESETS:
        if (account.quiet_from, account.quiet_to) == (start, end):
            return key
    return "custom"


def _required_locked() -> str:
    return "🔒 " + _("Failing marks and unexcused absences: always sent")


def _required_why() -> str:
    """Why a guardian cannot switch these off (rule 8: ``core.rules.required_push``)."""
    return "🔒 " + _(
        "The school must tell parents of absences without a good reason and of failing "
        "marks, so these notifications cannot be switched off."
    )


def _places_line(places: PushPlaces) -> str:
    return _("Where to send notifications: {where}").format(where=messenger_name(places.current))


def _places_row(places: PushPlaces) -> list:
    """A button per messenger; the press names that messenger's account (checked again)."""
    order = list(MESSENGERS)  # Telegram, then MAX, then any other
    return [
        (
            ("✓ " if messenger == places.current else "") + messenger_name(messenger),
            SettingCb(field="push", value=str(account_id)),
        )
        for messenger, account_id in sorted(
            places.choices, key=lambda c: (order.index(c[0]) if c[0] in order else 99, c[0])
        )
    ]


def settings_view(
    account: Account, guardian: bool = False, places: PushPlaces | None = None
) -> tuple[str, object]:
    """The screen; a guardian also sees the pushes the regulation requires, locked on; one
    linked on two messengers chooses where pushes go (``core.push_choice``)."""
    modes = {"each": _("each at once"), "digest": _("once a day"), "off": _("do not send")}
    quiet = (
        f"{account.quiet_from:%H:%M}–{account.quiet_to:%H:%M}"
        if account.quiet_from and account.quiet_to
        else _("off")
    )
    text = "\n".join(
        [
            "<b>" + _("Settings") + "</b>",
            _("Language: {lang}").format(lang="Русский" if account.locale == "ru" else "English"),
            _("Quiet hours: {quiet}").format(quiet=quiet),
            _("New marks: {mode}").format(
                mode=modes.get(account.notify_marks, account.notify_marks)
            ),
            _("Homework: {state}").format(state=_on(account.notify_homework)),
            _("Absences: {state}").format(state=_on(account.notify_attendance)),
            *([_required_locked()] if guardian else []),
            _("Period marks even in quiet hours: {state}").format(
                state=_on(account.notify_anytime_finals)
            ),
            _("Evening digest at {time}").format(time=f"{account.digest_at:%H:%M}"),
            *([_places_line(places)] if places else []),
            "",
            *([_required_why()] if guardian else []),
            _("During quiet hours notifications wait and come together in the morning."),
        ]
    )
    next_quiet = _next([k for k, _s, _e in QUIET_PRESETS], _quiet_key(account))
    next_mode = _next(MARK_MODES, account.notify_marks)
    next_digest = _next(DIGEST_HOURS, account.digest_at.hour)
    markup = inline(
        [
            [
                ("Русский", SettingCb(field="lang", value="ru")),
                ("English", SettingCb(field="lang", value="en")),
            ],
            [
                (
                    _("Quiet hours: {quiet}").format(quiet=quiet),
                    SettingCb(field="quiet", value=str(next_quiet)),
                )
            ],
            [
                (
                    _("New marks: {mode}").format(mode=modes.get(account.notify_marks, "")),
                    SettingCb(field="marks", value=str(next_mode)),
                )
            ],
            [
                (
                    _("Homework: {state}").format(state=_on(account.notify_homework)),
                    SettingCb(field="hw", value=str(int(not account.notify_homework))),
                )
            ],
            [
                (
                    _("Absences: {state}").format(state=_on(account.notify_attendance)),
                    SettingCb(field="att", value=str(int(not account.notify_attendance))),
                )
            ],
            *([[(_required_locked(), SettingCb(field="req", value="on"))]] if guardian else []),
            [
                (
                    _("Period marks at any time: {state}").format(
                        state=_on(account.notify_anytime_finals)
                    ),
                    SettingCb(field="fin", value=str(int(not account.notify_anytime_finals))),
                )
            ],
            [
                (
                    _("Digest at {time}").format(time=f"{account.digest_at:%H:%M}"),
                    SettingCb(field="dig", value=str(next_digest)),
                )
            ],
            _places_row(places) if places else [],
        ]
    )
    return text, markup


@router.message(Command("settings"))
@router.message(F.text == kb.SETTINGS)
async def cmd_settings(message: Message, viewer: Viewer, accounts: AccountService) -> None:
    if viewer.account_id is None:
        await message.answer(
            _("Please sign in first: send the invite code you received from the school.")
        )
        return
    text, markup = settings_view(
        await accounts.account(viewer), _guardian(viewer), await accounts.push_places(viewer)
    )
    await message.answer(text, reply_markup=markup)


def _guardian(viewer: Viewer) -> bool:
    return viewer.guardian_id is not None


def _fields(cb: SettingCb) -> dict:
    """The change a button asks for, parsed strictly: a forged value changes nothing."""
    if cb.field == "quiet":
        for key, start, end in QUIET_PRESETS:
            if key == cb.value:
                return {"quiet_from": start, "quiet_to": end}
    elif cb.field == "marks" and cb.value in MARK_MODES:
        return {"notify_marks": cb.value}
    elif cb.field in ("hw", "att", "fin") and cb.value in ("0", "1"):
        name = {"hw": "notify_homework", "att": "notify_attendance", "fin": "notify_anytime_finals"}
        return {name[cb.field]: cb.value == "1"}
    elif cb.field == "dig" and cb.value.isdigit() and int(cb.value) in DIGEST_HOURS:
        return {"digest_at": time(int(cb.value))}
    raise ValidationFailed(cb.field, "unknown_value")


@router.callback_query(SettingCb.filter())
async def on_setting(
    query: CallbackQuery,
    callback_data: SettingCb,
    viewer: Viewer,
    accounts: AccountService,
    viewers: ViewerCache,
    i18n: I18n,
    bot: Bot,
    messenger: str,
) -> None:
    if viewer.account_id is None:
        await query.answer(_("Please sign in first."), show_alert=True)
        return
    if callback_data.field == "push":
        # where pushes go: the account is checked on the server (the viewer's own person's)
        if not callback_data.value.isdigit():
            raise ValidationFailed("push_messenger", "unknown_value")
        places = await accounts.choose_push_account(viewer, int(callback_data.value))
        await _refresh(query, await accounts.account(viewer), viewer, places)
        return
    if callback_data.field == "req":
        # the locked switch: pressed, or forged to turn it off, it says why and changes nothing
        await query.answer(_required_why(), show_alert=True)
        return
    if callback_data.field == "lang":
        if callback_data.value not in ("ru", "en"):
            raise ValidationFailed("locale", "unsupported")
        who = str(query.from_user.id)
        account = await accounts.set_locale(messenger, who, callback_data.value)
        viewers.forget(messenger, who)
        fresh = await viewers.get(messenger, who, True)
        with i18n.use_locale(account.locale):
            await _refresh(query, account, viewer, await accounts.push_places(viewer))
            if isinstance(query.message, Message):
                menu = kb.main_menu(fresh, len(fresh.children))
                await query.message.answer(
                    _("Done: the bot now speaks English."), reply_markup=menu
                )
                await set_chat_commands(bot, query.message.chat.id, fresh, account.locale)
        return
    account = await accounts.update_settings(viewer, **_fields(callback_data))
    await _refresh(query, account, viewer, await accounts.push_places(viewer))


async def _refresh(
    query: CallbackQuery, account: Account, viewer: Viewer, places: PushPlaces | None = None
) -> None:
    text, markup = settings_view(account, _guardian(viewer), places)
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=markup)
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise
    await query.answer(_("Saved"))
