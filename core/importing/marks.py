"""Marks from a gradebook (OneRoster results), recorded as imported: each carries its file and
line, is dated by its work's day and entered at the import's time (never back-dated into the
journal's own entry time, never counted as late). A changed score supersedes the mark, audited."""

from __future__ import annotations

from datetime import date

from core import rules
from core.importing.calendar import ensure_standard
from core.importing.context import ImportContext
from core.imports import MarkRow, RosterData
from core.model import ClassGroup, Lesson, Mark, Staff, Subgroup, Subject, WorkType
from core.tabular import norm_name
from core.work_types import standard_code


async def apply(ctx: ImportContext, data: RosterData) -> None:
    if not data.marks:
        return
    periods = await ctx.uow.periods.for_year(ctx.year.id)  # type: ignore[arg-type]
    kinds = _WorkTypes(ctx, await ensure_standard(ctx))
    lessons: dict[tuple[int, date], list[Lesson]] = {}
    marks_of: dict[int, list[Mark]] = {}
    tally = ctx.report.tally("mark")
    for row in data.marks:
        student = ctx.students_by_source.get(row.student_source)
        teacher = ctx.staff_by_source.get(row.staff_source)
        cls = ctx.class_of(row.cls, row.where)
        if student is None or teacher is None or cls is None:
            if student is None:
                ctx.error(row.where, "unknown_student", id=row.student_source)
            if teacher is None:
                ctx.error(row.where, "unknown_teacher", value=row.staff_source)
            continue
        if not ctx.in_year(row.day):
            ctx.error(row.where, "date_outside_year", value=row.day, year=ctx.year.name)
            continue
        period = next((p for p in periods if p.contains(row.day)), None)
        if period is not None and period.closed:
            ctx.error(row.where, "period_closed", number=period.number)
            continue
        if not rules.graded(cls.grade):
            ctx.error(row.where, "first_grade_marks")
            continue
        sg = ctx.subgroup_of(cls, row.subgroup, row.where) if row.subgroup else None
        subject = await ctx.subject(row.subject)
        work_type = kinds.of(row)
        lesson = await _lesson(ctx, lessons, cls, subject, teacher, sg, row.day)
        if lesson.id not in marks_of:
            marks_of[lesson.id] = await ctx.uow.marks.for_lesson(lesson.id)  # type: ignore[arg-type, index]
        current = [m for m in marks_of[lesson.id] if m.student_id == student.id]  # type: ignore[index]
        if current and current[0].value == row.value:
            tally.unchanged += 1
            continue
        new = await ctx.uow.marks.add(
            Mark(
                lesson.id,  # type: ignore[arg-type]
                student.id,  # type: ignore[arg-type]
                subject.id,  # type: ignore[arg-type]
                row.day,
                row.value,
                work_type.id,  # type: ignore[arg-type]
                teacher.id,  # type: ignore[arg-type]
                ctx.now,
                source=f"{row.where.file}:{row.where.line}",
            )
        )
        marks_of[lesson.id].append(new)  # type: ignore[index]
        if current:
            old = current[0]
            old.superseded_at = ctx.now
            old.superseded_by = new.id
            marks_of[lesson.id].remove(old)  # type: ignore[index]
            ctx.audit(
                "mark.correct",
                "mark",
                old.id,
                student_id=student.id,  # type: ignore[arg-type]
                before=old.value.value,
                after=row.value.value,
                reason="import",
            )
            tally.changed += 1
        else:
            tally.added += 1


class _WorkTypes:
    """A gradebook's category names to the school's work types: by the school's own name or
    abbreviation, else by the standard kind the name means; unknown names are oral, with a
    warning (their weight and the written flag matter for the forecast and rule 3)."""

    def __init__(self, ctx: ImportContext, known: list[WorkType]) -> None:
        self.ctx = ctx
        self.by_name = {norm_name(w.name): w for w in known} | {
            norm_name(w.short): w for w in known
        }
        self.by_code = {w.code: w for w in known}
        self.warned: set[str] = set()

    def of(self, row: MarkRow) -> WorkType:
        key = norm_name(row.work_type)
        found = self.by_name.get(key)
        if found is None:
            code = standard_code(row.work_type)
            found = self.by_code.get(code) if code else None
        if found is not None:
            return found
        if key not in self.warned:
            self.warned.add(key)
            self.ctx.warn(row.where, "category_unknown", value=row.work_type)
        return self.by_code.get("oral") or next(iter(self.by_code.values()))


async def _lesson(
    ctx: ImportContext,
    cache: dict[tuple[int, date], list[Lesson]],
    cls: ClassGroup,
    subject: Subject,
    teacher: Staff,
    sg: Subgroup | None,
    day: date,
) -> Lesson:
    """The lesson of that subject on that day, made in the first free slot if the journal has
    none."""
    key = (cls.id, day)
    if key not in cache:
        cache[key] = await ctx.uow.lessons.for_class(cls.id, day, day)  # type: ignore[arg-type, index]
    sg_id = sg.id if sg else None
    for lesson in cache[key]:  # type: ignore[index]
        if lesson.subject_id == subject.id and lesson.subgroup_id == sg_id:
            return lesson
    taken = {x.slot for x in cache[key] if x.subgroup_id == sg_id}  # type: ignore[index]
    slot = next(n for n in range(1, 100) if n not in taken)
    lesson = await ctx.uow.lessons.add(
        Lesson(cls.id, day, slot, subject.id, teacher.id, subgroup_id=sg_id)  # type: ignore[arg-type]
    )
    cache[key].append(lesson)  # type: ignore[index]
    ctx.report.tally("lesson").added += 1
    return lesson
