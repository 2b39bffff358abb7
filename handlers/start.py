"""Linking an account by an invite code, consent, and signing out.

No logins and no passwords: a one-time code from the school links this account to a person
(000 §3.1; 004 §5.2); a guardian sees nothing before consenting (001 §1.5).
"""

from __future__ import annotations

from html import escape

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart, StateFilter
from aiogram.types import CallbackQuery, Message, ReplyKeyboardRemove
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from app.attempts import AttemptLimiter
from app.commands import set_chat_commands
from app.keyboards import ConsentCb, LogoutCb, consent_keyboard, has_lessons, inline, main_menu
from app.messages import N_
from app.viewers import ViewerCache
from core.access import Viewer
from core.accounts import AccountService
from core.errors import InviteInvalid
from core.invites import InviteService, looks_like_code
from core.model import PersonRole, StaffRoleKind
from core.teacher import TeacherService
from handlers.render import split

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

CONSENT_TEXT_KEY = "consent"


def consent_text() -> str:
    return _(
        "<b>Before we start</b>\n"
        "The school's electronic diary will show you your child's marks, absences, homework, "
        "timetable and messages from teachers, and will send you notifications about them.\n\n"
        "To do this the school processes your and your child's personal data (names, class, "
        "marks, attendance) and your messenger account number. The data stays with the school "
        "and is shown only to you and to the school's staff who are allowed to see it.\n\n"
        "Do you agree to the processing of personal data for the electronic diary? "
        "You can withdraw at any time with /logout."
    )


STAFF_ROLES = (  # in the order they are named
    (StaffRoleKind.DIRECTOR, N_("head of school")),
    (StaffRoleKind.DEPUTY, N_("deputy head")),
    (StaffRoleKind.ADMIN, N_("journal administrator")),
)


def staff_roles(viewer: Viewer, classes: list[str]) -> str:
    """«заместитель директора, учитель», «учитель, классный руководитель 7А»: what the person
    is at school today, not just «staff»."""
    roles = [_(name) for kind, name in STAFF_ROLES if kind in viewer.staff_roles]
    if has_lessons(viewer):
        roles.append(_("teacher"))
    if classes:
        roles.append(_("class teacher of {classes}").format(classes=", ".join(classes)))
    return ", ".join(roles) or _("school staff")


async def show_home(
    message: Message, viewer: Viewer, bot: Bot, i18n: I18n, teacher: TeacherService
) -> None:
    """The greeting and menu for whoever this account now is."""
    if viewer.children_pending_consent and not viewer.children:
        await message.answer(consent_text(), reply_markup=consent_keyboard())
        return
    children = len(viewer.children)
    menu = main_menu(viewer, children)
    if menu is None:
        await message.answer(
            _(
                "Hello! This is the school's electronic diary.\n"
                "To sign in, please send the invite code you received from the class teacher "
                "or the school, or open the link from the invitation."
            ),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    who = []
    if "staff" in viewer.names:
        roles = staff_roles(viewer, [c.name for c in await teacher.my_classes(viewer)])
        who.append(_("{name} ({roles})").format(name=viewer.names["staff"], roles=roles))
    if "guardian" in viewer.names:
        who.append(_("{name} (parent)").format(name=viewer.names["guardian"]))
    if "student" in viewer.names:
        who.append(_("{name} (student)").format(name=viewer.names["student"]))
    await message.answer(
        _("Hello! You are signed in as {who}.\nChoose what to open in the menu below.").format(
            who="; ".join(escape(w) for w in who) or "—"
        ),
        reply_markup=menu,
    )
    await set_chat_commands(bot, message.chat.id, viewer, i18n.current_locale)


async def redeem(
    message: Message,
    code: str,
    viewer: Viewer,
    invites: InviteService,
    accounts: AccountService,
    viewers: ViewerCache,
    attempts: AttemptLimiter,
    bot: Bot,
    i18n: I18n,
    teacher: TeacherService,
    messenger: str,
) -> None:
    user = message.from_user
    assert user is not None
    # the same number on two messengers is two people
    key = f"invite:{messenger}:{user.id}"
    wait = await attempts.blocked_for(key)
    if wait:
        minutes = max(1, round(wait / 60))
        await message.answer(
            ngettext(
                "Too many wrong codes. Please try again in {n} minute.",
                "Too many wrong codes. Please try again in {n} minutes.",
                minutes,
            ).format(n=minutes)
        )
        return
    try:
        link = await invites.redeem(
            messenger,
            str(user.id),
            code,
            display_name=user.full_name,
            locale=i18n.current_locale,
        )
    except InviteInvalid:
        await attempts.hit(key)
        raise
    await attempts.reset(key)
    viewers.forget(messenger, str(user.id))
    fresh = await viewers.get(messenger, str(user.id), True)
    if link.role == PersonRole.GUARDIAN and fresh.children_pending_consent:
        await message.answer(consent_text(), reply_markup=consent_keyboard())
        return
    await show_home(message, fresh, bot, i18n, teacher)


@router.message(CommandStart(deep_link=True))
async def cmd_start_code(message: Message, command: CommandObject, **deps) -> None:
    await redeem(message, command.args or "", **_pick(deps))


@router.message(CommandStart())
async def cmd_start(
    message: Message,
    viewer: Viewer,
    bot: Bot,
    i18n: I18n,
    teacher: TeacherService,
    accounts: AccountService,
    messenger: str,
) -> None:
    if viewer.account_id is not None and message.from_user is not None:
        # Start pressed after the bot was stopped: MAX says only this (bot_started), where
        # Telegram adds a "member" update (handlers.membership); pushes resume either way.
        await accounts.set_active(messenger, str(message.from_user.id), True)
    await show_home(message, viewer, bot, i18n, teacher)


# Only outside a form: inside one, a message is that form's input (a topic such as
# «Present_Perfect_revision» looks like a code too). Photos and files have no text.
@router.message(StateFilter(None), F.text, F.text.func(looks_like_code))
async def got_code(message: Message, **deps) -> None:
    await redeem(message, message.text or "", **_pick(deps))


@router.callback_query(ConsentCb.filter())
async def on_consent(
    query: CallbackQuery,
    callback_data: ConsentCb,
    viewer: Viewer,
    accounts: AccountService,
    viewers: ViewerCache,
    bot: Bot,
    i18n: I18n,
    teacher: TeacherService,
    messenger: str,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer()
        return
    if not callback_data.agree:
        await message.edit_text(
            _(
                "Without consent the diary cannot show anything. "
                "When you are ready, send /start and agree."
            )
        )
        await query.answer()
        return
    if not viewer.children_pending_consent:
        await query.answer(_("Consent is already recorded."))
        return
    await accounts.give_consent(viewer)
    viewers.forget(messenger, str(query.from_user.id))
    fresh = await viewers.get(messenger, str(query.from_user.id), True)
    await message.edit_text(_("Thank you, your consent is recorded."))
    await query.answer()
    await show_home(message, fresh, bot, i18n, teacher)


@router.message(Command("logout"))
async def cmd_logout(message: Message, viewer: Viewer) -> None:
    if viewer.account_id is None:
        await message.answer(_("You are not signed in."))
        return
    await message.answer(
        _(
            "Sign out of the diary on this account? You will stop receiving notifications; "
            "to come back you will need a new invite code."
        ),
        reply_markup=inline(
            [[(_("Sign out"), LogoutCb(confirm=True)), (_("Cancel"), LogoutCb(confirm=False))]]
        ),
    )


@router.callback_query(LogoutCb.filter())
async def on_logout(
    query: CallbackQuery,
    callback_data: LogoutCb,
    accounts: AccountService,
    viewers: ViewerCache,
    bot: Bot,
    messenger: str,
) -> None:
    message = query.message
    if not callback_data.confirm:
        if isinstance(message, Message):
            await message.edit_text(_("You are still signed in."))
        await query.answer()
        return
    await accounts.logout(messenger, str(query.from_user.id))
    viewers.forget(messenger, str(query.from_user.id))
    await query.answer()
    if isinstance(message, Message):
        await message.edit_text(_("You have signed out. Thank you!"))
        for part in split(_("To sign in again, send a new invite code.")):
            await message.answer(part, reply_markup=ReplyKeyboardRemove())
        await set_chat_commands(bot, message.chat.id, Viewer(), None)


def _pick(deps: dict) -> dict:
    names = (
        "viewer",
        "invites",
        "accounts",
        "viewers",
        "attempts",
        "bot",
        "i18n",
        "teacher",
        "messenger",
    )
    return {name: deps[name] for name in names}
