"""The weekly timetable and the bells, and the teaching the timetable implies.

A re-import changes the timetable from a day on, never before it: a line whose lesson changes
ends the day before (today, or the line's own ``valid_from`` when that is later) and the new one
starts that day; a line the file no longer has ends the day before the file takes effect. So
the lessons already held keep their teachers, and ``core.lessons`` re-makes the future ones.
Teaching follows: a teacher teaches a subject to a class (or group) as long as a line says so,
and one the timetable no longer gives them ends, with the access behind it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta

from core.importing.context import ImportContext, update
from core.importing.people import TeachingKey, settle_teachings
from core.imports import TimetableData, TimetableRow, Where
from core.model import Bell, ClassGroup, Staff, Subgroup, Subject, TimetableEntry
from core.tabular import norm_name

DAY = timedelta(days=1)
WEEKDAY_NAMES = ("Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс")

Resolved = tuple[TimetableRow, ClassGroup, Staff, Subject, Subgroup | None]


async def apply(ctx: ImportContext, data: TimetableData) -> None:
    total = len(data.bells) + len(data.entries or ())
    ctx.progress("bell", 0, total)
    await _bells(ctx, data)
    ctx.progress("timetable", len(data.bells), total)
    if data.entries is not None:
        await _entries(ctx, data)
    ctx.progress("timetable", total, total)


async def _bells(ctx: ImportContext, data: TimetableData) -> None:
    if not data.bells:
        return
    tally = ctx.report.tally("bell")
    existing = {b.slot: b for b in await ctx.uow.bells.for_school(ctx.school.id)}  # type: ignore[arg-type]
    for row in data.bells:
        bell = existing.get(row.slot)
        if bell is None:
            await ctx.uow.bells.add(Bell(ctx.school.id, row.slot, row.starts_at, row.ends_at))  # type: ignore[arg-type]
            tally.added += 1
        elif update(bell, starts_at=row.starts_at, ends_at=row.ends_at):
            tally.changed += 1
        else:
            tally.unchanged += 1


def _teacher_finder(ctx: ImportContext, staff: list[Staff]) -> Callable[[str], list[Staff]]:
    by_name: dict[str, list[Staff]] = defaultdict(list)
    for person in staff:
        for name in {
            person.full_name,
            person.short_name,
            f"{person.last_name} {person.first_name}",
        }:
            by_name[norm_name(name)].append(person)

    def find(text: str) -> list[Staff]:
        if text in ctx.staff_by_source:
            return [ctx.staff_by_source[text]]
        return list(dict.fromkeys(by_name.get(norm_name(text), [])))

    return find


async def _resolve(ctx: ImportContext, data: TimetableData) -> list[Resolved]:
    assert data.entries is not None
    find = _teacher_finder(ctx, await ctx.uow.staff.list_all())
    bells = {b.slot for b in data.bells} or {
        b.slot
        for b in await ctx.uow.bells.for_school(ctx.school.id)  # type: ignore[arg-type]
    }
    resolved = []
    for row in data.entries:
        cls = ctx.class_of(row.cls, row.where)
        found = find(row.teacher)
        if not found:
            ctx.error(row.where, "unknown_teacher", value=row.teacher)
        elif len(found) > 1:
            ctx.error(row.where, "ambiguous_teacher", value=row.teacher)
        for day in (row.valid_from, row.valid_to):
            if day is not None and not ctx.in_year(day):
                ctx.error(row.where, "date_outside_year", value=day, year=ctx.year.name)
        if bells and row.slot not in bells:
            ctx.error(row.where, "slot_not_a_bell", value=row.slot)
        if row.weekday >= ctx.school.week_days:
            ctx.error(
                row.where,
                "weekday_off",
                value=WEEKDAY_NAMES[row.weekday],
                week=ctx.school.week_days,
            )
        if cls is None or len(found) != 1:
            continue
        sg = ctx.subgroup_of(cls, row.subgroup, row.where) if row.subgroup else None
        if row.subgroup and sg is None:
            continue
        subject = await ctx.subject(row.subject)
        resolved.append((row, cls, found[0], subject, sg))
    return resolved


async def _entries(ctx: ImportContext, data: TimetableData) -> None:
    resolved = await _resolve(ctx, data)
    _clashes(ctx, resolved)
    if ctx.problems.errors:
        return
    tally = ctx.report.tally("timetable")
    today = ctx.today
    current: dict[tuple, list[TimetableEntry]] = defaultdict(list)
    for e in await ctx.uow.timetable.for_school_year(ctx.year.id):  # type: ignore[arg-type]
        if e.valid_to is None or e.valid_to >= today:
            current[(e.class_id, e.weekday, e.slot, e.subgroup_id)].append(e)
    starts = [row.valid_from for row, *_ in resolved]
    # A file whose every line starts on a later day takes effect then; else today.
    effective = max(today, min(starts)) if starts and all(starts) else today  # type: ignore[type-var]
    new: list[TimetableEntry] = []
    seen = set()
    for row, cls, teacher, subject, sg in resolved:
        key = (cls.id, row.weekday, row.slot, sg.id if sg else None)
        seen.add(key)
        wanted = (subject.id, teacher.id, row.room)
        entries = current.get(key, [])
        same = [e for e in entries if (e.subject_id, e.teacher_id, e.room) == wanted]
        if same and len(entries) == 1:
            entry = same[0]
            if entry.valid_to == row.valid_to:
                tally.unchanged += 1
            else:
                entry.valid_to = row.valid_to
                tally.changed += 1
            continue
        on = max(row.valid_from or today, today)
        for entry in entries:
            _end(entry, on)
        new.append(
            TimetableEntry(
                cls.id,  # type: ignore[arg-type]
                row.weekday,
                row.slot,
                subject.id,  # type: ignore[arg-type]
                teacher.id,  # type: ignore[arg-type]
                key[3],
                row.room,
                max(row.valid_from or on, on) if entries else row.valid_from,
                row.valid_to,
            )
        )
        if entries:
            tally.changed += 1
        else:
            tally.added += 1
    await ctx.uow.timetable.add_all(new)
    for key, entries in current.items():
        if key not in seen:
            for entry in entries:
                _end(entry, effective)
            tally.left += 1
    await settle_teachings(ctx, _teaching(ctx, [*new, *(e for es in current.values() for e in es)]))


def _end(entry: TimetableEntry, on: date) -> None:
    """The line stops the day before ``on`` (one that had not started yet never starts)."""
    last = on - DAY
    if entry.valid_from is not None and entry.valid_from > last:
        last = entry.valid_from - DAY
    if entry.valid_to is None or entry.valid_to > last:
        entry.valid_to = last


def _teaching(
    ctx: ImportContext, entries: list[TimetableEntry]
) -> dict[TeachingKey, tuple[date | None, date | None]]:
    """Who teaches what to whom from today on, with the first and last day (None: open)."""
    found: dict[TeachingKey, tuple[date | None, date | None]] = {}
    for e in entries:
        if e.valid_to is not None and e.valid_to < ctx.today:
            continue
        if e.valid_from is not None and e.valid_to is not None and e.valid_to < e.valid_from:
            continue
        key = (e.teacher_id, e.subject_id, e.class_id, e.subgroup_id)
        starts = e.valid_from if e.valid_from is not None and e.valid_from > ctx.today else None
        if key in found:
            first, last = found[key]
            starts = None if first is None or starts is None else min(first, starts)
            ends = None if last is None or e.valid_to is None else max(last, e.valid_to)
        else:
            ends = e.valid_to
        found[key] = (starts, ends)
    return found


def _clashes(ctx: ImportContext, resolved: list[Resolved]) -> None:
    places: dict[tuple, Where] = {}
    teachers: dict[tuple, tuple[Where, int]] = {}
    whole: dict[tuple, Where] = {}
    groups: dict[tuple, Where] = {}
    for row, cls, teacher, _subject, sg in resolved:
        key = (cls.id, row.weekday, row.slot, sg.id if sg else None)
        if key in places:
            ctx.error(row.where, "duplicate_slot", first_line=places[key].line)
            continue
        places[key] = row.where
        lesson_key = (cls.id, row.weekday, row.slot)
        other = groups if sg is None else whole
        if lesson_key in other:
            ctx.error(row.where, "class_clash", first_line=other[lesson_key].line)
        (whole if sg is None else groups).setdefault(lesson_key, row.where)
        busy = (teacher.id, row.weekday, row.slot)
        if busy in teachers and teachers[busy][1] != cls.id:
            ctx.error(
                row.where,
                "teacher_clash",
                value=teacher.short_name,
                first_line=teachers[busy][0].line,
            )
        teachers.setdefault(busy, (row.where, cls.id))  # type: ignore[arg-type]
