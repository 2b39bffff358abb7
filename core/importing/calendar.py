"""The school year's calendar from a roster: the year, its periods and working week, its
holidays and days off, and the school's work types (or the standard set)."""

from __future__ import annotations

import re
from itertools import pairwise

from core.importing.context import ImportContext, update
from core.imports import RosterData, Where, year_bounds
from core.model import Holiday, Period, SchoolYear, WorkType
from core.tabular import norm_name
from core.work_types import STANDARD


async def year(ctx: ImportContext, data: RosterData) -> SchoolYear | None:
    names = {r.year_name: r.where for r in data.calendar}
    if data.year_name:
        names.setdefault(data.year_name, Where("", None))
    if len(names) > 1:
        name, where = list(names.items())[1]
        ctx.error(where, "several_years", value=name)
        return None
    if not names:
        found = await ctx.uow.years.containing(ctx.today)
        if found is None:
            ctx.problems.error("", None, "no_school_year", day=ctx.today)
        return found
    name, where = next(iter(names.items()))
    bounds = year_bounds(name)
    if bounds is None:
        ctx.error(where, "bad_year", value=name)
        return None
    for found in await ctx.uow.years.list_all():
        if found.name == name and found.school_id == ctx.school.id:
            return found
    starts, ends = bounds
    ctx.report.tally("year").added += 1
    return await ctx.uow.years.add(SchoolYear(ctx.school.id, name, starts, ends))  # type: ignore[arg-type]


async def periods(ctx: ImportContext, data: RosterData) -> None:
    if data.week_days is not None:
        week, _ = data.week_days
        if ctx.school.week_days != week:
            ctx.school.week_days = week
            ctx.audit("school.week", "school", ctx.school.id, after=str(week))
    if not data.calendar:
        return
    existing = {p.number: p for p in await ctx.uow.periods.for_year(ctx.year.id)}  # type: ignore[arg-type]
    rows = sorted(data.calendar, key=lambda r: r.starts_on)
    for prev, row in pairwise(rows):
        if row.starts_on <= prev.ends_on:
            ctx.error(row.where, "period_overlap", other=prev.number, other_line=prev.where.line)
    seen: dict[int, Where] = {}
    tally = ctx.report.tally("period")
    for row in data.calendar:
        if row.number in seen:
            ctx.error(row.where, "duplicate_id", id=row.number, first_line=seen[row.number].line)
            continue
        seen[row.number] = row.where
        for day in (row.starts_on, row.ends_on):
            if not ctx.in_year(day):
                ctx.error(row.where, "date_outside_year", value=day, year=ctx.year.name)
        period = existing.get(row.number)
        if period is None:
            await ctx.uow.periods.add(
                Period(ctx.year.id, row.kind, row.number, row.starts_on, row.ends_on)  # type: ignore[arg-type]
            )
            tally.added += 1
        elif (period.starts_on, period.ends_on, period.kind) == (
            row.starts_on,
            row.ends_on,
            row.kind,
        ):
            tally.unchanged += 1
        elif period.closed:
            ctx.error(row.where, "period_closed", number=row.number)
        else:
            before = f"{period.starts_on}..{period.ends_on}"
            period.starts_on, period.ends_on, period.kind = row.starts_on, row.ends_on, row.kind
            after = f"{row.starts_on}..{row.ends_on}"
            ctx.audit("period.move", "period", period.id, before=before, after=after)
            tally.changed += 1


async def holidays(ctx: ImportContext, data: RosterData) -> None:
    """The year's holidays and days off as the file lists them: new ones added, missing ones
    removed (the lessons follow when the import re-makes them)."""
    if data.holidays is None:
        return
    tally = ctx.report.tally("holiday")
    existing = {
        (h.starts_on, h.ends_on, norm_name(h.name)): h
        for h in await ctx.uow.holidays.for_year(ctx.year.id)  # type: ignore[arg-type]
    }
    seen = set()
    for row in data.holidays:
        bad = False
        for day in (row.starts_on, row.ends_on):
            if not ctx.in_year(day):
                ctx.error(row.where, "date_outside_year", value=day, year=ctx.year.name)
                bad = True
        key = (row.starts_on, row.ends_on, norm_name(row.name))
        if bad or key in seen:
            continue
        seen.add(key)
        if key in existing:
            tally.unchanged += 1
            continue
        await ctx.uow.holidays.add(Holiday(ctx.year.id, row.name, row.starts_on, row.ends_on))  # type: ignore[arg-type]
        days = f"{row.starts_on}..{row.ends_on}"
        ctx.audit("holiday.add", "holiday", None, after=f"{days} {row.name}")
        tally.added += 1
    gone = [h for key, h in existing.items() if key not in seen]
    for h in gone:
        ctx.audit("holiday.remove", "holiday", h.id, before=f"{h.starts_on}..{h.ends_on} {h.name}")
    if gone:
        await ctx.uow.holidays.remove(gone)
        tally.left += len(gone)


async def work_types(ctx: ImportContext, data: RosterData) -> None:
    """The school's work types: matched by name (or abbreviation), a changed weight audited
    (the forecasts follow it); a school that has none gets the standard set."""
    known = await ctx.uow.work_types.for_school(ctx.school.id)  # type: ignore[arg-type]
    if data.work_types is None:
        if not known:
            await ensure_standard(ctx)
        return
    tally = ctx.report.tally("work_type")
    by_name = {norm_name(w.name): w for w in known} | {norm_name(w.short): w for w in known}
    codes = {w.code for w in known}
    for row in data.work_types:
        found = by_name.get(norm_name(row.name)) or by_name.get(norm_name(row.short))
        if found is None:
            code = row.code if row.code and row.code not in codes else _code(row.short, codes)
            codes.add(code)
            found = await ctx.uow.work_types.add(
                WorkType(ctx.school.id, code, row.short, row.name, row.weight, row.written)  # type: ignore[arg-type]
            )
            by_name[norm_name(row.name)] = by_name[norm_name(row.short)] = found
            tally.added += 1
            continue
        before = found.weight
        if update(found, name=row.name, short=row.short, weight=row.weight, written=row.written):
            if before != row.weight:
                ctx.audit(
                    "work_type.weight", "work_type", found.id, before=before, after=row.weight
                )
            tally.changed += 1
        else:
            tally.unchanged += 1


async def ensure_standard(ctx: ImportContext) -> list[WorkType]:
    """The standard work types, for a school that has none (``core.work_types``)."""
    known = await ctx.uow.work_types.for_school(ctx.school.id)  # type: ignore[arg-type]
    if known:
        return known
    made = [
        WorkType(ctx.school.id, s.code, s.short, s.name, s.weight, s.written)  # type: ignore[arg-type]
        for s in STANDARD
    ]
    await ctx.uow.work_types.add_all(made)
    ctx.report.tally("work_type").added += len(made)
    return made


def _code(short: str, taken: set[str]) -> str:
    """A stable ascii-ish code for a school's own work type."""
    base = "school-" + (re.sub(r"\W+", "", short.lower()) or "work")
    code, n = base[:28], 2
    while code in taken:
        code, n = f"{base[:26]}-{n}", n + 1
    return code
