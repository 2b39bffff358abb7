"""The deputy's control pushes (#14 item 4), run by ``Jobs``:

- every Monday, the journal analysis of the period up to the Sunday before (004 §5.6: the
  deputy checks the journal at least weekly), to each deputy (a school with none: the journal
  administrators), as a short text with the workbook, per teacher and per class, made when
  it is sent (``notifications.files``); once a week per account;
- two weeks before a period ends (003 reg.2 §2.2.3), the preliminary results: to each class
  teacher their class's students at risk, to the deputies a count per class with the
  workbook of every class; once per period per account and class. A day missed (the bot was
  down) is caught up within ``PRELIMINARY_CATCH_UP``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from core import rules
from core.access import SYSTEM
from core.control import (
    NEAR,
    PRELIMINARY_DAYS,
    RISK_NA,
    RISK_TWO,
    ControlReports,
    deputies_or_admins,
    last_week,
)
from core.model import ClassGroup, Period
from core.ports import UnitOfWork
from core.reports import ReportService

if TYPE_CHECKING:
    from notifications.jobs import Jobs

PRELIMINARY_CATCH_UP = timedelta(days=2)


async def _deputies(uow: UnitOfWork) -> list[int]:
    return deputies_or_admins([(r.staff_id, r.role) for r in await uow.staff_roles.list_all()])


async def _calendar(jobs: Jobs, uow: UnitOfWork) -> tuple[list[ClassGroup], list[Period]]:
    """This school year's classes and periods (none out of the year)."""
    facts = await jobs._year(uow)
    if facts is None:
        return [], []
    year, classes = facts
    return classes, await uow.periods.for_year(year.id)  # type: ignore[arg-type]


def _period_facts(p: Period) -> dict[str, Any]:
    return {"period": p.number, "period_kind": p.kind.value, "end": p.ends_on.isoformat()}


async def weekly_quality(jobs: Jobs) -> int:
    """Mondays: the period so far, up to last Sunday, to the deputies."""
    now = jobs.clock.now()
    monday, sunday = last_week(now.date())
    async with jobs.uow(readonly=True) as uow:
        _, periods = await _calendar(jobs, uow)
        # the period the past week was in (holidays: none, nothing to analyse)
        p = next((x for x in periods if x.starts_on <= sunday and x.ends_on >= monday), None)
        staff = await _deputies(uow)
        accounts = await jobs._staff_accounts(uow, staff) if p else {}
    if p is None or not accounts:
        return 0
    end = min(p.ends_on, sunday)
    analysis = await ControlReports(ReportService(jobs.uow, jobs.clock)).quality(
        SYSTEM, p.number, end
    )
    payload = {
        **_period_facts(p),
        "end": end.isoformat(),
        "no_topic": analysis.teachers_without_topics,
        "late": analysis.late_marks,
        "unexplained": analysis.unexplained,
        "file": f"{p.number}:{end.isoformat()}",
    }
    async with jobs.uow() as uow:
        return await jobs._staff_rows(
            uow,
            "quality_weekly",
            {s: [] for s in accounts},
            now,
            f"quality:{{account}}:{monday.isoformat()}",
            payload,
        )


async def preliminary_results(jobs: Jobs) -> int:
    """Daily: on the day two weeks before a period's last day (or within the catch-up after
    it), the preliminary results to the class teachers and the deputies."""
    now = jobs.clock.now()
    today = now.date()
    async with jobs.uow(readonly=True) as uow:
        classes, periods = await _calendar(jobs, uow)
    due = [
        p
        for p in periods
        if not p.closed
        and timedelta(0)
        <= today - (p.ends_on - timedelta(days=PRELIMINARY_DAYS))
        <= PRELIMINARY_CATCH_UP
    ]
    if not due:
        return 0
    p = due[0]
    table = await ControlReports(ReportService(jobs.uow, jobs.clock)).preliminary(
        SYSTEM, None, p.number
    )
    by_class: dict[str, list[list[Any]]] = {c.name: [] for c in classes}
    for class_name, student, subject, _mark, _avg, _count, risk in table.rows:
        by_class.setdefault(str(class_name), []).append([str(student), subject, risk])
    written = 0
    async with jobs.uow() as uow:
        for cls in sorted(classes, key=lambda c: (c.grade, c.letter)):
            if cls.class_teacher_id is None or not rules.graded(cls.grade):
                continue
            written += await jobs._staff_rows(
                uow,
                "preliminary",
                {cls.class_teacher_id: by_class[cls.name]},
                now,
                f"preliminary:{{account}}:{p.id}:{cls.id}",
                {**_period_facts(p), "class": cls.name},
            )
        counts = [
            [name, *(sum(1 for r in rows if r[2] == k) for k in (RISK_TWO, RISK_NA, NEAR))]
            for name, rows in by_class.items()
            if rows
        ]
        written += await jobs._staff_rows(
            uow,
            "preliminary_all",
            {s: [] for s in await _deputies(uow)},
            now,
            f"preliminary:{{account}}:{p.id}:all",
            {**_period_facts(p), "classes": counts, "file": str(p.number)},
        )
    return written
