"""Invite codes from the bot: the class teacher (or the journal administrator) hands out codes
to the class's students and parents and sees who has signed in (000 §3.1; 004 §5.2).

The whole class as a sheet to print (PDF cards with QR codes, and the same in Excel), or a new
code for one person who lost theirs: their earlier unused codes then stop working. The
administrator may also take a person's access away (audited). Buttons only carry hints: the
core checks the class and the person again on every press.
"""

from __future__ import annotations

import asyncio
from html import escape
from zoneinfo import ZoneInfo

from aiogram import F, Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, Message
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from app import keyboards as kb
from app.config import Settings
from app.keyboards import inline
from app.messages import link_lines
from core.access import Viewer
from core.access_admin import AccessAdminService, ClassAccess, PersonAccess
from core.clock import Clock
from core.errors import AccessDenied
from core.invites import DEFAULT_TTL_DAYS, InviteService, IssuedInvite
from core.model import PersonRole
from locales import translations

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

PAGE = 20  # people on one page of the class list
ROLES = {"s": PersonRole.STUDENT, "g": PersonRole.GUARDIAN}


class InvCb(CallbackData, prefix="iv1"):
    cls: int  # 0: the list of classes
    action: str  # show, who, sheet, make
    page: int = 0


class InvPersonCb(CallbackData, prefix="ip1"):
    cls: int
    role: str  # s, g
    person: int
    action: str = "code"  # code: a new code; cut: take the access away (the administrator)
    go: bool = False  # False: ask first; True: do it


# -- choosing the class ----------------------------------------------------------------------------


@router.message(Command("invites"))
@router.message(F.text == kb.INVITES)
async def cmd_invites(message: Message, viewer: Viewer, access_admin: AccessAdminService) -> None:
    classes = await access_admin.invite_classes(viewer)  # class teachers and the admin only
    if len(classes) == 1:
        text, markup = class_screen(await access_admin.class_access(viewer, classes[0][0]), False)
        await message.answer(text, reply_markup=markup)
        return
    text, markup = classes_screen(classes)
    await message.answer(text, reply_markup=markup)


def classes_screen(classes: list[tuple[int, str]]):
    if not classes:
        return _("There are no classes in this school year yet."), None
    buttons = [(name, InvCb(cls=class_id, action="show")) for class_id, name in classes]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    return _("Invite codes: which class?"), inline(rows)


def class_screen(found: ClassAccess, back: bool):
    students = found.count(PersonRole.STUDENT)
    guardians = found.count(PersonRole.GUARDIAN)
    lines = [
        "<b>"
        + _("Invite codes: {class_name}").format(class_name=escape(found.class_name))
        + "</b>",
        _("Students signed in: {n} of {total}.").format(
            n=found.count(PersonRole.STUDENT, linked=True), total=students
        ),
        _("Parents signed in: {n} of {total}.").format(
            n=found.count(PersonRole.GUARDIAN, linked=True), total=guardians
        ),
        "",
        ngettext(
            "A code works once, within {days} day. Hand it out in person or in a private message.",
            "A code works once, within {days} days. Hand it out in person or in a private message.",
            DEFAULT_TTL_DAYS,
        ).format(days=DEFAULT_TTL_DAYS),
    ]
    rows = [
        [(_("📄 Codes for the whole class"), InvCb(cls=found.class_id, action="sheet"))],
        [(_("👤 A new code for one person"), InvCb(cls=found.class_id, action="who"))],
    ]
    if back:
        rows.append([(_("◀ Classes"), InvCb(cls=0, action="show"))])
    return "\n".join(lines), inline(rows)


@router.callback_query(InvCb.filter(F.action == "show"))
async def on_class(
    query: CallbackQuery, callback_data: InvCb, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    message = query.message
    await query.answer()
    if callback_data.cls == 0:
        text, markup = classes_screen(await access_admin.invite_classes(viewer))
        await message.edit_text(text, reply_markup=markup)  # type: ignore[union-attr]
        return
    found = await access_admin.class_access(viewer, callback_data.cls)
    several = len(await access_admin.invite_classes(viewer)) > 1
    text, markup = class_screen(found, several)
    await message.edit_text(text, reply_markup=markup)  # type: ignore[union-attr]


# -- the whole class -----------------------------------------------------------------------------


@router.callback_query(InvCb.filter(F.action == "sheet"))
async def on_sheet_ask(
    query: CallbackQuery, callback_data: InvCb, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    found = await access_admin.class_access(viewer, callback_data.cls)
    await query.answer()
    text = _(
        "New codes for the whole of {class_name} (students: {students}, parents: "
        "{guardians}): a PDF with cards to cut out and an Excel table. Codes handed out "
        "earlier keep working until they are used or expire. Make them?"
    ).format(
        students=found.count(PersonRole.STUDENT),
        guardians=found.count(PersonRole.GUARDIAN),
        class_name=escape(found.class_name),
    )
    markup = inline(
        [
            [(_("Yes, make the codes"), InvCb(cls=found.class_id, action="make"))],
            [(_("◀ Back"), InvCb(cls=found.class_id, action="show"))],
        ]
    )
    await query.message.edit_text(text, reply_markup=markup)  # type: ignore[union-attr]


@router.callback_query(InvCb.filter(F.action == "make"))
async def on_sheet_make(
    query: CallbackQuery,
    callback_data: InvCb,
    viewer: Viewer,
    access_admin: AccessAdminService,
    settings: Settings,
    clock: Clock,
    i18n: I18n,
) -> None:
    from app.invite_sheet import sheet_pdf, sheet_xlsx

    found = await access_admin.class_access(viewer, callback_data.cls)
    lines = await access_admin.class_sheet(viewer, found.class_name)
    await query.answer(_("Preparing the files…"))
    gettext = translations(i18n.current_locale).gettext
    links, tz = settings.invite_links, clock.tz
    # Drawing some seventy QR codes takes a while: off the loop, so other users wait for nothing.
    pdf, xlsx = await asyncio.gather(
        asyncio.to_thread(sheet_pdf, lines, gettext, links, tz, settings.invite_bots()),
        asyncio.to_thread(sheet_xlsx, lines, gettext, links, tz),
    )
    message = query.message
    # Named as the sheet is titled, in the reader's language: «Коды приглашения, 7А.pdf».
    name = _("Invite codes, {class_name}").format(class_name=found.class_name).replace("/", "-")
    class_name = escape(found.class_name)
    await message.edit_text(  # type: ignore[union-attr]
        _("Codes made: {n}. Print the cards and hand each one to its owner.").format(n=len(lines))
    )
    await message.answer_document(  # type: ignore[union-attr]
        BufferedInputFile(pdf, filename=f"{name}.pdf"),
        caption=_("Cards to print and cut out: {class_name}").format(class_name=class_name),
    )
    await message.answer_document(  # type: ignore[union-attr]
        BufferedInputFile(xlsx, filename=f"{name}.xlsx"),
        caption=_("The same codes as a table: {class_name}").format(class_name=class_name),
    )


# -- one person ----------------------------------------------------------------------------------


def person_label(p: PersonAccess) -> str:
    mark = "✅ " if p.linked else ""
    if p.role == PersonRole.STUDENT:
        return f"{mark}🎒 {p.name}"
    return f"{mark}{p.name} ({p.children})"[:64]


@router.callback_query(InvCb.filter(F.action == "who"))
async def on_people(
    query: CallbackQuery, callback_data: InvCb, viewer: Viewer, access_admin: AccessAdminService
) -> None:
    found = await access_admin.class_access(viewer, callback_data.cls)
    pages = max(1, -(-len(found.people) // PAGE))
    page = min(max(callback_data.page, 0), pages - 1)
    shown = found.people[page * PAGE : (page + 1) * PAGE]
    rows: list[list[tuple[str, CallbackData]]] = [
        [
            (
                person_label(p),
                InvPersonCb(cls=found.class_id, role=p.role.value[0], person=p.person_id),
            )
        ]
        for p in shown
    ]
    nav: list[tuple[str, CallbackData]] = []
    if page > 0:
        nav.append(("◀", InvCb(cls=found.class_id, action="who", page=page - 1)))
    if page < pages - 1:
        nav.append(("▶", InvCb(cls=found.class_id, action="who", page=page + 1)))
    if nav:
        rows.append(nav)
    rows.append([(_("◀ Back"), InvCb(cls=found.class_id, action="show"))])
    text = _("Whom is the new code for? ✅ — already signed in.")
    if pages > 1:
        text += "\n" + _("Page {page} of {pages}.").format(page=page + 1, pages=pages)
    await query.answer()
    await query.message.edit_text(text, reply_markup=inline(rows))  # type: ignore[union-attr]


async def _person(
    query: CallbackQuery,
    callback_data: InvPersonCb,
    viewer: Viewer,
    access_admin: AccessAdminService,
) -> PersonAccess | None:
    """The button's person in the class list (the class checked in the core), or an alert."""
    role = ROLES.get(callback_data.role)
    found = await access_admin.class_access(viewer, callback_data.cls)
    for person in found.people:
        if person.role == role and person.person_id == callback_data.person:
            return person
    # Left the class, or a forged button.
    await query.answer(_("This person is no longer in the class list."), show_alert=True)
    return None


async def _show(query: CallbackQuery, text: str, rows: list[list[tuple[str, CallbackData]]]):
    await query.answer()
    await query.message.edit_text(text, reply_markup=inline(rows))  # type: ignore[union-attr]


def code_text(issued: IssuedInvite, settings: Settings, tz: ZoneInfo) -> list[str]:
    """An issued code as the lines to hand on: the code, its link, until when it works."""
    lines = [
        _("Invite code for {name}: <code>{code}</code>").format(
            name=escape(issued.name), code=issued.code
        )
    ]
    lines += link_lines(_, settings.invite_links(issued.code))
    until = issued.invite.expires_at.astimezone(tz).strftime("%d.%m.%Y")
    lines.append(_("Valid once, until {until}.").format(until=until))
    return lines


@router.callback_query(InvPersonCb.filter())
async def on_person(
    query: CallbackQuery,
    callback_data: InvPersonCb,
    viewer: Viewer,
    access_admin: AccessAdminService,
    invites: InviteService,
    settings: Settings,
    clock: Clock,
) -> None:
    """A new code for one person; for the administrator, also taking their access away."""
    person = await _person(query, callback_data, viewer, access_admin)
    if person is None:
        return
    back = [(_("◀ Back"), InvCb(cls=callback_data.cls, action="who"))]
    go = callback_data.model_copy(update={"go": True})
    name = escape(person.name)
    if callback_data.action == "cut":
        if not viewer.is_admin:  # a forged button: not even the question
            raise AccessDenied("admin")
        if not callback_data.go:
            text = _(
                "Take away {name}'s access? Every account signed in as them is signed out at "
                "once, and their unused codes stop working. This is recorded in the audit log."
            ).format(name=name)
            await _show(query, text, [[(_("Yes, take away access"), go)], back])
            return
        # 001 §3.1: access is the administrator's; the core refuses anyone else.
        signed_out = await access_admin.revoke_person(viewer, person.role, person.person_id)
        text = _("Access taken away: accounts signed out — {n}.").format(n=signed_out)
        await _show(query, text, [back])
        return
    if not callback_data.go:
        text = _(
            "A new code for {name}? Codes issued to them earlier and not used yet will stop "
            "working."
        ).format(name=name)
        rows = [[(_("Make a new code"), go)]]
        if person.linked:
            text += "\n" + _("They have already signed in; the new code adds another device.")
            if viewer.is_admin:
                cut = callback_data.model_copy(update={"action": "cut"})
                rows.append([(_("⛔ Take away access"), cut)])
        await _show(query, text, [*rows, back])
        return
    issued, revoked = await invites.reissue(viewer, person.role, person.person_id)
    lines = code_text(issued, settings, clock.tz)
    if revoked:
        lines.append(_("Earlier unused codes no longer work: {n}.").format(n=revoked))
    await _show(query, "\n".join(lines), [back])
