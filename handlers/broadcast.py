"""/broadcast: a class teacher writes to the class's parents and/or students.

Write (text, or a photo or document with a caption), choose the audience, see a preview with
the number of recipients and who is not linked yet, confirm. The progress comes as a message
that keeps itself up to date; its buttons refresh it and list who has not read it yet. Only
the class teacher of the class (or the administration) may: the core checks every step.
"""

from __future__ import annotations

from html import escape

from aiogram import F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.i18n import ngettext

from app.keyboards import BROADCAST, inline
from app.push_buttons import (
    AudienceCb,
    BroadcastClassCb,
    CancelFormCb,
    ConfirmCb,
    ProgressCb,
)
from core.access import Viewer
from core.errors import AccessDenied, ValidationFailed
from core.messaging import (
    MAX_BROADCAST,
    MAX_CAPTION,
    AudienceView,
    BroadcastProgress,
    MessagingService,
)
from core.model import Attachment, Audience, PersonRole
from handlers.render import split

router = Router(name=__name__)
router.message.filter(F.chat.type == "private")
router.callback_query.filter(F.message.chat.type == "private")

PREVIEW_NAMES = 15  # not-linked people listed in the preview
UNREAD_NAMES = 100


class BroadcastForm(StatesGroup):
    content = State()
    audience = State()
    confirm = State()


def content_of(message: Message) -> tuple[str, Attachment | None]:
    """The text (or caption) and the photo or document of a message."""
    if message.photo:
        return message.caption or "", Attachment("photo", message.photo[-1].file_id)
    if message.document:
        doc = message.document
        return message.caption or "", Attachment("document", doc.file_id, doc.file_name or "")
    return message.text or "", None


def cancel_keyboard(form: str) -> InlineKeyboardMarkup:
    return inline([[(_("✖ Cancel"), CancelFormCb(form=form))]])


async def form_content(
    message: Message, form: str, prompt: str, limit: int
) -> tuple[str, Attachment | None] | None:
    """What a form's message says and carries; None once the sender is told what is wrong
    (nothing sent, a command instead, or longer than ``limit``, or than a caption holds)."""
    text, attachment = content_of(message)
    text = text.strip()
    if (not text and attachment is None) or text.startswith("/"):
        await message.answer(prompt, reply_markup=cancel_keyboard(form))
        return None
    limit = MAX_CAPTION if attachment else limit
    if len(text) > limit:
        await message.answer(
            _("The message is too long: at most {limit} characters. Please shorten it.").format(
                limit=limit
            ),
            reply_markup=cancel_keyboard(form),
        )
        return None
    return text, attachment


async def cancel_form(query: CallbackQuery, state: FSMContext, form: type[StatesGroup]) -> None:
    """The form's «✖ Cancel»: its state is dropped (if still in it) and the prompt says so."""
    if await state.get_state() in form.__all_states_names__:
        await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(_("Cancelled: nothing was sent."))
        except TelegramBadRequest as exc:  # a second tap: the prompt says so already
            if "not modified" not in exc.message:
                raise


async def _ask_content(message: Message, state: FSMContext, class_id: int, name: str) -> None:
    await state.set_state(BroadcastForm.content)
    await state.update_data(class_id=class_id, class_name=name)
    await message.answer(
        _(
            "Write the message for {class_name}: text, or a photo or a document with a "
            "caption. Parents and students will see it from you, as the class teacher."
        ).format(class_name=escape(name)),
        reply_markup=cancel_keyboard("broadcast"),
    )


@router.message(Command("broadcast"))
@router.message(F.text == BROADCAST)
async def cmd_broadcast(
    message: Message, viewer: Viewer, messaging: MessagingService, state: FSMContext
) -> None:
    classes = await messaging.broadcast_classes(viewer)
    if not classes:
        await message.answer(
            _("Only the class teacher of a class (or the administration) can write to it.")
        )
        return
    await state.clear()
    if len(classes) == 1:
        await _ask_content(message, state, classes[0].id, classes[0].name)  # type: ignore[arg-type]
        return
    buttons = [(c.name, BroadcastClassCb(class_id=c.id)) for c in classes]  # type: ignore[arg-type]
    rows = [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    await message.answer(_("Which class do you write to?"), reply_markup=inline(rows))


@router.callback_query(BroadcastClassCb.filter())
async def on_class(
    query: CallbackQuery,
    callback_data: BroadcastClassCb,
    viewer: Viewer,
    messaging: MessagingService,
    state: FSMContext,
) -> None:
    classes = {c.id: c for c in await messaging.broadcast_classes(viewer)}
    cls = classes.get(callback_data.class_id)
    if cls is None:
        raise AccessDenied("broadcast")
    await query.answer()
    if isinstance(query.message, Message):
        await _ask_content(query.message, state, cls.id, cls.name)  # type: ignore[arg-type]


@router.message(StateFilter(BroadcastForm), Command("cancel"))
async def cmd_cancel(message: Message, state: FSMContext) -> None:
    await state.clear()
    await message.answer(_("Cancelled: nothing was sent."))


@router.callback_query(CancelFormCb.filter(F.form == "broadcast"))
async def on_cancel(query: CallbackQuery, state: FSMContext) -> None:
    await cancel_form(query, state, BroadcastForm)


@router.message(BroadcastForm.content)
async def got_content(
    message: Message, state: FSMContext, viewer: Viewer, messaging: MessagingService
) -> None:
    prompt = _("Please send the message: text, or a photo or a document with a caption.")
    content = await form_content(message, "broadcast", prompt, MAX_BROADCAST)
    if content is None:
        return
    text, attachment = content
    data = await state.get_data()
    class_id = int(data["class_id"])
    subgroups = await messaging.subgroups(viewer, class_id)
    await state.update_data(
        text=text,
        attachment=[attachment.kind, attachment.ref, attachment.name] if attachment else None,
    )
    await state.set_state(BroadcastForm.audience)
    rows = [
        [(_("👪 Parents"), AudienceCb(audience=Audience.GUARDIANS.value))],
        [(_("🎒 Students"), AudienceCb(audience=Audience.STUDENTS.value))],
        [(_("👪🎒 Parents and students"), AudienceCb(audience=Audience.BOTH.value))],
    ]
    rows += [
        [
            (
                _("Subgroup: {name}").format(name=g.name),
                AudienceCb(audience=Audience.BOTH.value, subgroup=g.id),
            )
        ]
        for g in subgroups
    ]
    rows.append([(_("✖ Cancel"), CancelFormCb(form="broadcast"))])
    await message.answer(_("Who should get it?"), reply_markup=inline(rows))


def _audience_name(audience: Audience, subgroup: bool) -> str:
    if subgroup:
        return _("the subgroup's parents and students")
    return {
        Audience.GUARDIANS: _("parents"),
        Audience.STUDENTS: _("students"),
        Audience.BOTH: _("parents and students"),
    }[audience]


def preview_text(text: str, attachment: list | None, view: AudienceView) -> str:
    lines = [
        "<b>" + _("Preview") + "</b>",
        _("To: {class_name}, {who}").format(
            class_name=escape(view.cls.name),
            who=_audience_name(view.audience, view.subgroup_id is not None),
        ),
    ]
    if attachment:
        lines.append(_("📎 With a photo") if attachment[0] == "photo" else _("📎 With a document"))
    lines += ["", escape(text), ""]
    n = len(view.recipients)
    lines.append(
        ngettext("It will reach {n} account", "It will reach {n} accounts", n).format(n=n)
        + " "
        + _("(parents: {guardians}, students: {students}).").format(
            guardians=view.guardians, students=view.students
        )
    )
    if view.blocked:
        lines.append(_("Have blocked the bot and will not get it: {n}.").format(n=view.blocked))
    if view.not_linked:
        lines.append(
            _("Not linked to the bot yet (they will not get it): {n}").format(
                n=len(view.not_linked)
            )
        )
        for person in view.not_linked[:PREVIEW_NAMES]:
            if person.role == PersonRole.GUARDIAN:
                who = _("{name}, parent of {student}").format(
                    name=escape(person.name), student=escape(person.student_name)
                )
            else:
                who = _("{name}, student").format(name=escape(person.name))
            lines.append(f"• {who}")
        if len(view.not_linked) > PREVIEW_NAMES:
            lines.append(_("… and {n} more").format(n=len(view.not_linked) - PREVIEW_NAMES))
    return "\n".join(lines)


@router.callback_query(BroadcastForm.audience, AudienceCb.filter())
async def on_audience(
    query: CallbackQuery,
    callback_data: AudienceCb,
    state: FSMContext,
    viewer: Viewer,
    messaging: MessagingService,
) -> None:
    try:
        audience = Audience(callback_data.audience)
    except ValueError:
        raise ValidationFailed("audience", "unknown") from None
    subgroup = callback_data.subgroup or None
    data = await state.get_data()
    view = await messaging.preview_broadcast(viewer, int(data["class_id"]), audience, subgroup)
    await state.update_data(audience=audience.value, subgroup=subgroup)
    await state.set_state(BroadcastForm.confirm)
    markup = inline(
        [
            [(_("✅ Send"), ConfirmCb(action="send"))],
            [
                (_("✏️ Change the text"), ConfirmCb(action="edit")),
                (_("✖ Cancel"), ConfirmCb(action="cancel")),
            ],
        ]
    )
    await query.answer()
    if isinstance(query.message, Message):
        parts = split(preview_text(data["text"], data.get("attachment"), view))
        for part in parts[:-1]:
            await query.message.answer(part)
        await query.message.answer(parts[-1], reply_markup=markup)


@router.callback_query(BroadcastForm.confirm, ConfirmCb.filter())
async def on_confirm(
    query: CallbackQuery,
    callback_data: ConfirmCb,
    state: FSMContext,
    viewer: Viewer,
    messaging: MessagingService,
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    data = await state.get_data()
    if callback_data.action == "edit":
        await query.answer()
        if message is not None:
            await _ask_content(message, state, int(data["class_id"]), data["class_name"])
        return
    if callback_data.action != "send":
        await state.clear()
        await query.answer()
        if message is not None:
            await message.edit_text(_("Cancelled: nothing was sent."))
        return
    item = data.get("attachment")
    broadcast = await messaging.send_broadcast(
        viewer,
        int(data["class_id"]),
        Audience(data["audience"]),
        data["text"],
        subgroup_id=data.get("subgroup"),
        attachments=[Attachment(*item)] if item else (),
    )
    await state.clear()
    await query.answer(_("Sent"))
    if message is not None:
        await message.edit_text(
            ngettext(
                "The message is on its way to {n} account. How it goes, you will see in the "
                "next message.",
                "The message is on its way to {n} accounts. How it goes, you will see in the "
                "next message.",
                broadcast.recipients,
            ).format(n=broadcast.recipients)
        )


@router.callback_query(AudienceCb.filter())
@router.callback_query(ConfirmCb.filter())
async def on_stale_form(query: CallbackQuery) -> None:
    """A button of a form already finished or cancelled."""
    await query.answer(_("This form is closed. Start again with /broadcast."), show_alert=True)


def progress_text(p: BroadcastProgress) -> str:
    """The same figures the delivery worker keeps the progress message up to date with."""
    return "\n".join(
        [
            _("📢 Broadcast to {class_name}").format(class_name=escape(p.cls.name)),
            _("Delivered: {sent} of {total}").format(sent=p.sent, total=p.total),
            _("Waiting: {pending}").format(pending=p.pending),
            _("Not delivered: {failed}").format(failed=p.failed),
            _("Not linked to the bot yet: {not_linked}").format(not_linked=p.not_linked),
            _("Read: {read}").format(read=p.read),
        ]
    )


def progress_keyboard(broadcast_id: int) -> InlineKeyboardMarkup:
    return inline(
        [
            [
                (_("🔄 Refresh"), ProgressCb(broadcast=broadcast_id, action="r")),
                (_("👀 Who has not read"), ProgressCb(broadcast=broadcast_id, action="u")),
            ]
        ]
    )


@router.callback_query(ProgressCb.filter())
async def on_progress(
    query: CallbackQuery, callback_data: ProgressCb, viewer: Viewer, messaging: MessagingService
) -> None:
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.action == "u":
        lines = await messaging.unread(viewer, callback_data.broadcast)
        await query.answer()
        if message is None:
            return
        if not lines:
            await message.answer(_("Everyone has read it."))
            return
        out = [
            ngettext(
                "Not read yet: {n} recipient", "Not read yet: {n} recipients", len(lines)
            ).format(n=len(lines))
        ]
        for line in lines[:UNREAD_NAMES]:
            if line.role == PersonRole.GUARDIAN:
                out.append(
                    "• "
                    + _("{name}, parent of {student}").format(
                        name=escape(line.name), student=escape(", ".join(line.student_names))
                    )
                )
            else:
                out.append("• " + _("{name}, student").format(name=escape(line.name)))
        if len(lines) > UNREAD_NAMES:
            out.append(_("… and {n} more").format(n=len(lines) - UNREAD_NAMES))
        for part in split("\n".join(out)):
            await message.answer(part)
        return
    progress = await messaging.broadcast_progress(viewer, callback_data.broadcast)
    await query.answer(_("Updated"))
    if message is not None:
        try:
            await message.edit_text(
                progress_text(progress), reply_markup=progress_keyboard(callback_data.broadcast)
            )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                raise
