"""Imports as one transaction: typed rows -> changes, with a report of what was added, changed,
left unchanged, moved or ended, and every problem with its file and line.

A file imports whole or not at all: every change is staged in one unit of work and committed
only when no error was found (and the admin confirmed); a validation run stages the very same
changes and rolls them back, so its report is exactly what the import would do. Re-importing
matches people by their ids in the file (``source_id``) and never deletes. What each part
applies is in ``core.importing``; after it, the lessons from today to the planning horizon are
made or re-made (``core.lessons``) in the same transaction, and the lessons kept because
something is written in them are reported as warnings.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from core import access, audit
from core.access import Viewer
from core.clock import Clock
from core.importing import calendar, marks, people, timetable
from core.importing.context import ImportContext
from core.importing.report import ENTITIES, ImportReport, Progress, Tally
from core.imports import RosterData, TimetableData, parse_roster, parse_timetable
from core.lessons import Plan, horizon, plan_lessons
from core.ports import UnitOfWorkFactory
from core.tabular import Problem, Problems, SourceTable

__all__ = ["ENTITIES", "ImportReport", "ImportService", "Progress", "Tally"]


def _noop(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class ImportService:
    """Rosters, timetables and OneRoster bundles: the journal admin's (rule 12; 001 §3.1)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def roster(
        self,
        viewer: Viewer,
        tables: Iterable[SourceTable],
        *,
        apply: bool,
        progress: Progress | None = None,
    ) -> ImportReport:
        access.require_admin(viewer)
        data, problems = parse_roster(tables)
        return await self.run_roster("roster", viewer, data, problems, apply, progress)

    async def timetable(
        self,
        viewer: Viewer,
        tables: Iterable[SourceTable],
        *,
        apply: bool,
        progress: Progress | None = None,
    ) -> ImportReport:
        access.require_admin(viewer)
        data, problems = parse_timetable(tables)
        report = ImportReport("timetable")
        return await self._run(report, viewer, problems, apply, progress, data)

    async def oneroster(
        self,
        viewer: Viewer,
        tables: Iterable[SourceTable],
        *,
        apply: bool,
        school: str | None = None,
        progress: Progress | None = None,
    ) -> ImportReport:
        from core.oneroster import parse_bundle

        access.require_admin(viewer)
        data, problems = parse_bundle(list(tables), school=school)
        return await self.run_roster("oneroster", viewer, data, problems, apply, progress)

    async def run_roster(
        self,
        kind: str,
        viewer: Viewer,
        data: RosterData,
        problems: Problems,
        apply: bool,
        progress: Progress | None,
    ) -> ImportReport:
        return await self._run(ImportReport(kind), viewer, problems, apply, progress, data)

    async def _run(
        self,
        report: ImportReport,
        viewer: Viewer,
        problems: Problems,
        apply: bool,
        progress: Progress | None,
        data: RosterData | TimetableData,
    ) -> ImportReport:
        if not problems.errors:
            async with self.uow() as uow:
                ctx = ImportContext(uow, self.clock, problems, report, progress or _noop, viewer)
                if isinstance(data, RosterData):
                    await _roster(ctx, data)
                else:
                    await _timetable(ctx, data)
                if not problems.errors:
                    await _lessons(ctx)
                    await ctx.write_audit()
                if apply and not problems.errors:
                    await uow.audit.add(
                        audit.change(
                            viewer,
                            self.clock.now(),
                            f"import.{report.kind}",
                            "import",
                            None,
                            after=json.dumps(
                                {e: vars(t) for e, t in report.rows()}, ensure_ascii=False
                            ),
                        )
                    )
                    await uow.commit()
                    report.applied = True
        report.errors = sorted(problems.errors, key=Problem.sort_key)
        report.warnings = sorted(problems.warnings, key=Problem.sort_key)
        return report


async def _roster(ctx: ImportContext, data: RosterData) -> None:
    await ctx.load_school(data.school_name)
    year = await calendar.year(ctx, data)
    if year is None:
        return
    await ctx.load_year(year)
    steps = [
        ("period", calendar.periods, len(data.calendar)),
        ("holiday", calendar.holidays, len(data.holidays or ())),
        ("work_type", calendar.work_types, len(data.work_types or ())),
        ("subject", _subjects, len(data.subjects)),
        ("staff", people.staff, len(data.staff or ())),
        ("class", people.classes, len(data.students or ()) + len(data.subgroups)),
        ("subgroup", people.subgroups, len(data.subgroups)),
        ("student", people.students, len(data.students or ())),
        ("guardian", people.guardians, len(data.guardians or ())),
        ("teaching", people.teachings, len(data.teachings)),
        ("mark", marks.apply, len(data.marks)),
    ]
    total = sum(size for _, _, size in steps)
    done = 0
    for stage, step, size in steps:
        ctx.progress(stage, done, total)
        await step(ctx, data)
        done += size
        ctx.progress(stage, done, total)


async def _subjects(ctx: ImportContext, data: RosterData) -> None:
    from core.tabular import norm_name

    for row in data.subjects:
        found = ctx.subjects.get(norm_name(row.name))
        if found is None:
            await ctx.subject(row.name, row.short)
        elif row.short and found.short != row.short:
            found.short = row.short
            ctx.report.tally("subject").changed += 1
        else:
            ctx.report.tally("subject").unchanged += 1


async def _timetable(ctx: ImportContext, data: TimetableData) -> None:
    await ctx.load_school()
    year = await ctx.uow.years.containing(ctx.today)
    if year is None:
        ctx.problems.error("", None, "no_school_year", day=ctx.today)
        return
    await ctx.load_year(year)
    await timetable.apply(ctx, data)


async def _lessons(ctx: ImportContext) -> Plan:
    """The lessons from today to the horizon follow what was imported; the ones kept because
    something is written in them are reported."""
    plan = await plan_lessons(ctx.uow, ctx.today, *horizon(ctx.today))
    if plan.made or plan.changed or plan.removed:
        tally = ctx.report.tally("lesson")
        tally.added += plan.made
        tally.changed += plan.changed
        tally.left += plan.removed
    await _report_kept(ctx, plan)
    return plan


async def _report_kept(ctx: ImportContext, plan: Plan) -> None:
    for kept in plan.kept:
        x = kept.lesson
        ctx.problems.warn(
            "",
            None,
            "lesson_kept_gone" if kept.gone else "lesson_kept",
            cls=kept.class_name,
            day=x.day,
            slot=x.slot,
            subject=kept.subject,
            why=kept.why.value,
        )
