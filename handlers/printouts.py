"""Paper diaries (rule 8; 000 §7.2; 003 reg.2 §2.2.2): the class teacher (from /absences) and
the administration (from /admin) see which of a class's guardians are informed on paper, move
a guardian to paper or back, and get the class's PDF — the fortnightly push's button opens it
too. Buttons only carry hints: the core checks the class, the guardian and the viewer again on
every press.
"""

from __future__ import annotations

from functools import partial
from html import escape

from aiogram import F, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery
from aiogram.utils.i18n import I18n, ngettext
from aiogram.utils.i18n import gettext as _

from app.keyboards import inline
from core.access import Viewer
from core.clock import Clock
from core.printouts import PaperGuardian, PaperRoster, PrintoutService
from handlers import render as r
from handlers.journal_text import short_of
from handlers.journal_ui import show
from locales import translations

router = Router(name=__name__)
router.callback_query.filter(F.message.chat.type == "private")


class PaperCb(CallbackData, prefix="pp1"):
    cls: int  # 0: the list of classes
    action: str  # show, pdf (those on paper), all (every student)


class PaperGuardianCb(CallbackData, prefix="pp2"):
    cls: int
    guardian: int
    on: bool  # True: to paper from today; False: back to the bot


def classes_screen(classes: list[tuple[int, str]]):
    if not classes:
        return _("There are no classes in this school year yet."), None
    buttons = [(name, PaperCb(cls=class_id, action="show")) for class_id, name in classes]
    return _("Paper diaries: which class?"), inline(
        [buttons[i : i + 4] for i in range(0, len(buttons), 4)]
    )


def guardian_button(found: PaperRoster, g: PaperGuardian) -> tuple[str, CallbackData]:
    name = short_of(g.name)
    if g.paper_since is not None:
        label = "📄 " + _("{name}: on paper from {day}").format(
            name=name, day=g.paper_since.strftime("%d.%m")
        )
        return label[:64], PaperGuardianCb(cls=found.class_id, guardian=g.id, on=False)
    label = _("{name}: put on paper").format(name=name)
    return label[:64], PaperGuardianCb(cls=found.class_id, guardian=g.id, on=True)


def class_screen(found: PaperRoster, back: bool):
    lines = [
        "<b>"
        + _("Paper diaries, {class_name}").format(class_name=escape(found.class_name))
        + "</b>",
        _(
            "Parents who refuse the bot get the diary on paper every two weeks: the last two "
            "weeks' marks, absences, remarks and the coming week's homework, with a line for "
            "their signature."
        ),
        "",
        _("On paper: {n} of {total} parents.").format(n=found.on_paper, total=len(found.guardians)),
        _("Press a parent to move them to paper or back to the bot."),
    ]
    if found.last_printed is not None:
        lines.append(_("Last printed: {day}.").format(day=r.day(found.last_printed, False)))
    rows: list[list[tuple[str, CallbackData]]] = [
        [guardian_button(found, g)] for g in found.guardians
    ]
    if found.on_paper:
        rows.append([(_("🖨 PDF for those on paper"), PaperCb(cls=found.class_id, action="pdf"))])
    rows.append(
        [(_("🖨 PDF for every student (a meeting)"), PaperCb(cls=found.class_id, action="all"))]
    )
    if back:
        rows.append([(_("◀ Classes"), PaperCb(cls=0, action="show"))])
    return "\n".join(lines), inline(rows)


@router.callback_query(PaperCb.filter(F.action == "show"))
async def on_class(
    query: CallbackQuery, callback_data: PaperCb, viewer: Viewer, printouts: PrintoutService
) -> None:
    classes = await printouts.classes_of(viewer)
    if callback_data.cls == 0:
        await show(query, *classes_screen(classes))
        return
    found = await printouts.roster(viewer, callback_data.cls)  # refuses another class
    await show(query, *class_screen(found, len(classes) > 1))


@router.callback_query(PaperGuardianCb.filter())
async def on_guardian(
    query: CallbackQuery,
    callback_data: PaperGuardianCb,
    viewer: Viewer,
    printouts: PrintoutService,
    clock: Clock,
) -> None:
    found = await printouts.roster(viewer, callback_data.cls)
    if callback_data.guardian not in {g.id for g in found.guardians}:
        # Not this class's parent: a forged button, or a link ended since.
        await query.answer(_("This person is no longer in the class list."), show_alert=True)
        return
    since = clock.today() if callback_data.on else None
    await printouts.set_paper(viewer, callback_data.guardian, since)
    found = await printouts.roster(viewer, callback_data.cls)
    note = _("Moved to paper.") if callback_data.on else _("Back to the bot.")
    text, markup = class_screen(found, len(await printouts.classes_of(viewer)) > 1)
    await show(query, text, markup, note=note)


@router.callback_query(PaperCb.filter(F.action.in_({"pdf", "all"})))
async def on_pdf(
    query: CallbackQuery,
    callback_data: PaperCb,
    viewer: Viewer,
    printouts: PrintoutService,
    i18n: I18n,
) -> None:
    """The class's PDF; the core checks the class teacher (or the administration) again."""
    from app.paper_diary import printout_pdf

    locale = i18n.current_locale
    render = partial(printout_pdf, _=translations(locale).gettext, locale=locale)
    everyone = callback_data.action == "all"
    done = await printouts.print_class(viewer, callback_data.cls, render, everyone=everyone)
    if not done.pages:
        await query.answer(_("Nobody in this class gets the diary on paper now."), show_alert=True)
        return
    await query.answer(_("Preparing the file…"))
    p = done.printout
    name = _("Paper diaries, {class_name}").format(class_name=p.class_name).replace("/", "-")
    students = len(p.students)
    caption = (
        ngettext(
            "Paper diaries, {class_name}, {start} – {end}: {n} student, {pages} pages.",
            "Paper diaries, {class_name}, {start} – {end}: {n} students, {pages} pages.",
            students,
        ).format(
            class_name=escape(p.class_name),
            start=r.day(p.starts_on, False),
            end=r.day(p.ends_on, False),
            n=students,
            pages=done.pages,
        )
        + "\n"
        + _("Print them and hand them to the parents to sign.")
    )
    await query.message.answer_document(  # type: ignore[union-attr]
        BufferedInputFile(done.content, filename=f"{name} {p.ends_on.isoformat()}.pdf"),
        caption=caption,
    )
