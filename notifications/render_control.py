"""The texts of the deputy's control pushes (``notifications.control``): the weekly journal
analysis with its workbook, the preliminary results two weeks before a period ends."""

from __future__ import annotations

from typing import Any

from locales import terms
from locales.terms import N_
from notifications.files import generated
from notifications.render import Item, Rendered, _Ctx, _e, _fits

KINDS = frozenset({"quality_weekly", "preliminary", "preliminary_all"})
RISKS = {
    "risk_two": N_("at risk of a 2"),
    "risk_na": N_("too few marks to be assessed"),
    "near_better": N_("near a better mark"),
}


def render(c: _Ctx, item: Item) -> Rendered:
    d = item.data
    if item.kind == "quality_weekly":
        return _quality(c, d)
    if item.kind == "preliminary":
        return Rendered(_preliminary(c, d))
    return _preliminary_all(c, d)


def _period(c: _Ctx, d: dict[str, Any]) -> str:
    return terms.period(
        c._, c.locale, str(d.get("period_kind", "quarter")), int(d.get("period", 0))
    )


def _quality(c: _Ctx, d: dict[str, Any]) -> Rendered:
    lines = [
        c._("📊 Journals, {period}, up to {end}:").format(
            period=_period(c, d), end=c.day(d.get("end"), weekday=False)
        ),
        "• "
        + c.ngettext(
            "{n} teacher has lessons without a topic",
            "{n} teachers have lessons without a topic",
            int(d.get("no_topic", 0)),
        ).format(n=d.get("no_topic", 0)),
        "• "
        + c.ngettext(
            "{n} mark was entered late", "{n} marks were entered late", int(d.get("late", 0))
        ).format(n=d.get("late", 0)),
        "• "
        + c.ngettext(
            "{n} absence without a reason",
            "{n} absences without a reason",
            int(d.get("unexplained", 0)),
        ).format(n=d.get("unexplained", 0)),
        c._("By teacher and by class: in the attached file."),
    ]
    return Rendered("\n".join(lines), (), generated("quality", d.get("file", "")))


def _preliminary(c: _Ctx, d: dict[str, Any]) -> str:
    lines = [
        c._("📋 Preliminary results, {class_name}, {period} (it ends on {end}):").format(
            class_name=_e(d.get("class")), period=_period(c, d), end=c.day(d.get("end"))
        )
    ]
    for student, subject, risk in d.get("items") or []:
        what = c._(RISKS.get(risk, RISKS["risk_two"]))
        lines.append(f"• {_e(student)}, {_e(subject)}: {what}")
    if len(lines) == 1:
        lines.append(c._("Nobody is at risk of a 2 or of not being assessed."))
    return _fits(lines, c)


def _preliminary_all(c: _Ctx, d: dict[str, Any]) -> Rendered:
    lines = [
        c._("📋 Preliminary results, {period} (it ends on {end}):").format(
            period=_period(c, d), end=c.day(d.get("end"))
        )
    ]
    for class_name, two, na, near in d.get("classes") or []:
        lines.append(
            "• "
            + c._(
                "{class_name}: at risk of a 2 — {two}, too few marks — {na}, "
                "near a better mark — {near}"
            ).format(class_name=_e(class_name), two=two, na=na, near=near)
        )
    lines.append(c._("Students and subjects: in the attached file."))
    return Rendered("\n".join(lines), (), generated("preliminary", d.get("file", "")))
