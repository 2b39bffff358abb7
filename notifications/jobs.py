"""Scheduled pushes: the evening digest, the fortnightly summary for guardians (rule 8), and
reminders to staff (rules 1-3, 6, 7). Each writes delivery rows with a dedup key, so a job
run twice (a restart, two schedulers by mistake) never writes a row twice.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from core import grading, rules
from core.clock import Clock
from core.model import (
    Account,
    AttendanceKind,
    AttendanceRecord,
    ClassGroup,
    Delivery,
    FinalKind,
    Lesson,
    LessonStatus,
    PersonRole,
    SchoolYear,
    Student,
)
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.printouts import fortnight, paper_guardians
from core.school_admin import SchoolAdminService
from notifications.recipients import Recipients

logger = logging.getLogger(__name__)

LOOKAHEAD_DAYS = 7  # the evening digest is for the next day with lessons within a week
# A digest missed (the bot was down) still goes within this time; later it would be stale.
EVENING_CATCH_UP = timedelta(minutes=30)
SUMMARY_DAYS = 14  # 000 §7.2; 003 reg.2 §2.2.2: guardians informed at least every 2 weeks
FINALS_NOTICE_DAYS = 3  # period marks still missing: from 3 days before the period ends


@dataclass(frozen=True, slots=True)
class _Family:
    account: Account
    role: PersonRole
    person_id: int
    student: Student


def _row(
    account: Account,
    kind: str,
    data: dict[str, Any],
    now: datetime,
    dedup: str,
    *,
    role: PersonRole,
    person_id: int,
    student_id: int | None = None,
    group: str = "",
    due_at: datetime | None = None,
) -> Delivery:
    return Delivery(
        account.id,  # type: ignore[arg-type]
        kind,
        json.dumps(data, ensure_ascii=False),
        created_at=now,
        due_at=due_at or now,
        role=role,
        person_id=person_id,
        student_id=student_id,
        group_key=group,
        dedup_key=dedup,
    )


@dataclass(frozen=True, slots=True)
class Jobs:
    uow: UnitOfWorkFactory
    clock: Clock
    wake: Callable[[], None] = lambda: None
    running: tuple[str, ...] | None = None  # the messengers this school runs (None: all)

    # --- shared facts ---

    async def _year(self, uow: UnitOfWork) -> tuple[SchoolYear, list[ClassGroup]] | None:
        year = await uow.years.containing(self.clock.today())
        if year is None:
            return None
        return year, await uow.classes.for_year(year.id)  # type: ignore[arg-type]

    async def _families(
        self, uow: UnitOfWork, students: Sequence[Student], with_students: bool = True
    ) -> list[_Family]:
        """Who hears about these students (``notifications.recipients``), one per account
        and child."""
        by_id = {s.id: s for s in students}
        found = await Recipients(uow, self.running).family(list(by_id), with_students=with_students)  # type: ignore[arg-type]
        return [_Family(r.account, r.role, r.person_id, by_id[r.student_id]) for r in found]

    async def _staff_accounts(
        self, uow: UnitOfWork, staff_ids: Sequence[int]
    ) -> dict[int, list[Account]]:
        return await Recipients(uow, self.running).staff(staff_ids)

    async def _write(self, uow: UnitOfWork, rows: list[Delivery]) -> int:
        fresh = await uow.deliveries.existing_keys([r.dedup_key for r in rows if r.dedup_key])
        rows = [r for r in rows if r.dedup_key not in fresh]
        if rows:
            await uow.deliveries.add_all(rows)
            await uow.commit()
            self.wake()
        return len(rows)

    # --- the evening digest ---

    async def evening_digest(self) -> int:
        """At each account's digest time: the next school day's homework and changes."""
        now = self.clock.now()
        today = now.date()
        written = 0
        async with self.uow() as uow:
            facts = await self._year(uow)
            if facts is None:
                return 0
            _, classes = facts
            for cls in classes:
                students = await uow.students.in_class(cls.id, on=today)  # type: ignore[arg-type]
                due = [
                    f
                    for f in await self._families(uow, students)
                    if f.account.notify_homework
                    and timedelta(0)
                    <= now - datetime.combine(today, f.account.digest_at, tzinfo=now.tzinfo)
                    <= EVENING_CATCH_UP
                ]
                if not due:
                    continue
                keys = {f: f"evening:{f.account.id}:{f.student.id}:{today}" for f in due}
                done = await uow.deliveries.existing_keys(list(keys.values()))
                due = [f for f in due if keys[f] not in done]
                if not due:
                    continue
                day, lessons = await self._next_day(uow, cls, today)
                if day is None:
                    continue
                homework = await uow.homework.due_for_class(cls.id, day, day)  # type: ignore[arg-type]
                names = {s.id: s.name for s in await uow.subjects.list_all()}
                staff = {s.id: s.short_name for s in await uow.staff.list_all()}
                rows = []
                for f in due:
                    groups = await uow.subgroups.of_student(f.student.id)  # type: ignore[arg-type]
                    mine_hw = [
                        [names.get(h.subject_id, ""), h.text]
                        for h in homework
                        if h.subgroup_id is None or h.subgroup_id in groups
                    ]
                    changes = [
                        [
                            x.slot,
                            names.get(x.subject_id, ""),
                            "cancellation"
                            if x.status == LessonStatus.CANCELLED
                            else "substitution",
                            staff.get(x.substitute_id, "") if x.substitute_id else "",
                        ]
                        for x in lessons
                        if (x.subgroup_id is None or x.subgroup_id in groups)
                        and (x.status == LessonStatus.CANCELLED or x.substitute_id is not None)
                    ]
                    if not mine_hw and not changes:
                        continue
                    digest_at = datetime.combine(today, f.account.digest_at, tzinfo=now.tzinfo)
                    rows.append(
                        _row(
                            f.account,
                            "evening",
                            {
                                "student": f.student.short_name,
                                "class": cls.name,
                                "day": day.isoformat(),
                                "homework": mine_hw,
                                "changes": changes,
                            },
                            now,
                            keys[f],
                            role=f.role,
                            person_id=f.person_id,
                            student_id=f.student.id,
                            group=f"digest:{f.student.id}",
                            due_at=min(digest_at, now),
                        )
                    )
                written += await self._write(uow, rows)
        return written

    async def _next_day(
        self, uow: UnitOfWork, cls: ClassGroup, today: date
    ) -> tuple[date | None, list[Lesson]]:
        lessons = await uow.lessons.for_class(
            cls.id,  # type: ignore[arg-type]
            today + timedelta(days=1),
            today + timedelta(days=LOOKAHEAD_DAYS),
        )
        if not lessons:
            return None, []
        day = lessons[0].day
        return day, [x for x in lessons if x.day == day]

    # --- the fortnightly summary for guardians (rule 8) ---

    async def fortnight_summary(self, every_other_week: bool = True) -> int:
        """Marks and attendance of the last two weeks, to each consented guardian."""
        today = self.clock.today()
        if every_other_week and not summary_week(today):
            return 0
        now = self.clock.now()
        start = today - timedelta(days=SUMMARY_DAYS - 1)
        written = 0
        async with self.uow() as uow:
            facts = await self._year(uow)
            if facts is None:
                return 0
            year, classes = facts
            names = {s.id: s.name for s in await uow.subjects.list_all()}
            weights = {
                w.id: grading.weight_of(w.weight)
                for w in await uow.work_types.for_school(year.school_id)
            }
            for cls in classes:
                students = await uow.students.in_class(cls.id, on=today)  # type: ignore[arg-type]
                families = await self._families(uow, students, with_students=False)
                if not families:
                    continue
                ids = [s.id for s in students]
                marks = await uow.marks.for_students(ids, start, today)  # type: ignore[arg-type]
                records = await uow.attendance.for_class(cls.id, start, today)  # type: ignore[arg-type]
                rows = []
                for f in families:
                    sid = f.student.id
                    by_subject: dict[int, list] = defaultdict(list)
                    for mark in marks:
                        if mark.student_id == sid:
                            by_subject[mark.subject_id].append(mark)
                    subjects = []
                    for subject_id, items in sorted(
                        by_subject.items(), key=lambda kv: names.get(kv[0], "")
                    ):
                        scored = [
                            grading.Scored(x.value.points, weights.get(x.work_type_id, 1))
                            for x in items
                            if x.value.points is not None
                        ]
                        average = grading.weighted_average(scored)
                        subjects.append(
                            [
                                names.get(subject_id, ""),
                                [x.value.value for x in items],
                                round(float(average), 2) if average is not None else None,
                            ]
                        )
                    mine = [r for r in records if r.student_id == sid]
                    absent = [r for r in mine if r.kind == AttendanceKind.ABSENT]
                    rows.append(
                        _row(
                            f.account,
                            "summary",
                            {
                                "student": f.student.short_name,
                                "class": cls.name,
                                "start": start.isoformat(),
                                "end": today.isoformat(),
                                "subjects": subjects,
                                "absent": len(absent),
                                "reasons": _by_reason(absent),
                                "late": sum(1 for r in mine if r.kind == AttendanceKind.LATE),
                            },
                            now,
                            f"summary:{f.account.id}:{sid}:{today}",
                            role=f.role,
                            person_id=f.person_id,
                            student_id=sid,
                        )
                    )
                written += await self._write(uow, rows)
        return written

    async def paper_diaries(self, every_other_week: bool = True) -> int:
        """To each class teacher whose class has guardians on paper, in the summary's weeks:
        how many paper diaries to print, with a button for the PDF (rule 8 on paper)."""
        today = self.clock.today()
        if every_other_week and not summary_week(today):
            return 0
        now = self.clock.now()
        start, end = fortnight(today)
        written = 0
        async with self.uow() as uow:
            facts = await self._year(uow)
            if facts is None:
                return 0
            for cls in facts[1]:
                if cls.class_teacher_id is None:
                    continue
                students = await uow.students.in_class(cls.id, on=today)  # type: ignore[arg-type]
                links = await uow.guardian_links.for_students([s.id for s in students])  # type: ignore[misc]
                guardians = await uow.guardians.many(sorted({x.guardian_id for x in links}))
                paper = {g.id for g in paper_guardians(guardians, today)}
                count = len({x.student_id for x in links if x.guardian_id in paper})
                if not count:
                    continue
                extra = {
                    "class": cls.name,
                    "class_id": cls.id,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "students": count,
                }
                written += await self._staff_rows(
                    uow,
                    "printouts",
                    {cls.class_teacher_id: []},
                    now,
                    f"printouts:{{account}}:{cls.id}:{today}",
                    extra,
                )
        return written

    # --- reminders to staff ---

    async def teacher_reminders(self) -> int:
        """Lesson records (with the roll call) and homework of today, marks of two days ago,
        still missing after the rules' windows (rules 1-3)."""
        now = self.clock.now()
        today = now.date()
        items: dict[int, list[list[Any]]] = defaultdict(list)
        async with self.uow() as uow:
            facts = await self._year(uow)
            if facts is None:
                return 0
            year, classes = facts
            names = {s.id: s.name for s in await uow.subjects.list_all()}
            bells = {b.slot: b for b in await uow.bells.for_school(year.school_id)}
            marks_day = today - timedelta(days=rules.ORAL_MARK_DAYS + 1)
            for cls in classes:
                lessons = [
                    x
                    for x in await uow.lessons.for_class(cls.id, marks_day, today)  # type: ignore[arg-type]
                    if x.status != LessonStatus.CANCELLED
                ]
                todays = [x for x in lessons if x.day == today]
                if todays:
                    last = bells.get(max(x.slot for x in todays))
                    for x in todays:
                        ended = last is None or now.time() >= bells.get(x.slot, last).ends_at
                        if ended and not x.topic.strip():
                            items[x.conducted_by].append(_item("topic", cls, names, x))
                    deadline = rules.homework_deadline(
                        today, last.ends_at if last else None, self.clock.tz
                    )
                    if rules.graded(cls.grade) and now > deadline:
                        with_hw = {
                            h.lesson_id
                            for h in await uow.homework.for_lessons([x.id for x in todays])
                        }  # type: ignore[misc]
                        for x in todays:
                            if x.id not in with_hw:
                                items[x.conducted_by].append(_item("homework", cls, names, x))
                if rules.graded(cls.grade):
                    for x in lessons:
                        if x.day == marks_day and not await uow.marks.for_lesson(x.id):  # type: ignore[arg-type]
                            items[x.conducted_by].append(_item("marks", cls, names, x))
            return await self._staff_rows(uow, "remind", items, now, f"remind:{{account}}:{today}")

    async def _staff_rows(
        self,
        uow: UnitOfWork,
        kind: str,
        items: dict[int, list[list[Any]]],
        now: datetime,
        dedup: str,
        extra: dict[str, Any] | None = None,
    ) -> int:
        if not items:
            return 0
        accounts = await self._staff_accounts(uow, list(items))
        rows = [
            _row(
                account,
                kind,
                {"items": items[staff_id], **(extra or {})},
                now,
                dedup.format(account=account.id),
                role=PersonRole.STAFF,
                person_id=staff_id,
            )
            for staff_id, found in accounts.items()
            for account in found
        ]
        return await self._write(uow, rows)

    async def finals_missing(self) -> int:
        """Before a period ends (and in its grace days): period marks still not set (rule 6)."""
        now = self.clock.now()
        today = now.date()
        async with self.uow() as uow:
            facts = await self._year(uow)
            if facts is None:
                return 0
            year, classes = facts
            school = await uow.schools.get(year.school_id)
            if school is None:
                return 0
            # from a few days before the period's end to the last day of its window (rule 6)
            period = next(
                (
                    p
                    for p in await uow.periods.for_year(year.id)  # type: ignore[arg-type]
                    if not p.closed
                    and p.ends_on - timedelta(days=FINALS_NOTICE_DAYS)
                    <= today
                    <= rules.school_final_window(p, school)[1]
                ),
                None,
            )
            if period is None:
                return 0
            names = {s.id: s.name for s in await uow.subjects.list_all()}
            items: dict[int, list[list[Any]]] = defaultdict(list)
            day = min(today, period.ends_on)
            for cls in classes:
                if not rules.graded(cls.grade):
                    continue
                students = await uow.students.in_class(cls.id, on=day)  # type: ignore[arg-type]
                ids = [s.id for s in students]
                finals = await uow.finals.for_students(ids, year.id)  # type: ignore[arg-type]
                have = {
                    (f.student_id, f.subject_id)
                    for f in finals
                    if f.kind == FinalKind.PERIOD and f.period_id == period.id
                }
                for t in await uow.teachings.for_class(cls.id, on=day):  # type: ignore[arg-type]
                    members = ids
                    if t.subgroup_id is not None:
                        group = set(await uow.subgroups.member_ids(t.subgroup_id, on=day))
                        members = [i for i in ids if i in group]
                    missing = sum(1 for i in members if (i, t.subject_id) not in have)
                    if missing:
                        items[t.staff_id].append(
                            [cls.name, names.get(t.subject_id, ""), missing, len(members)]
                        )
            deadline = rules.school_final_window(period, school)[1]
            return await self._staff_rows(
                uow,
                "finals_missing",
                items,
                now,
                f"finals:{{account}}:{today}",
                {"deadline": deadline.isoformat()},
            )

    async def school_calendar(self) -> int:
        """Nightly, before the backup: periods whose window for period marks is over close
        (rule 6; the reminders above came first), then the lessons from today to the horizon
        are made from the timetable (``core.lessons``). Returns how many of both."""
        admin = SchoolAdminService(self.uow, self.clock)
        closed = await admin.close_due_periods()
        for period in closed:
            logger.info(
                "period %s closed by itself: its window for period marks is over", period.number
            )
        plan = await admin.keep_lessons_ahead()
        return len(closed) + plan.made

    async def weekly_reconciliation(self) -> int:
        """To each class teacher: the week's absences still without a reason (rule 7)."""

        async def lines(uow: Any, cls: ClassGroup, names: dict[int, str], today: date) -> list:
            monday = today - timedelta(days=today.weekday())
            records = [
                r
                for r in await uow.attendance.for_class(cls.id, monday, today)
                if r.kind == AttendanceKind.ABSENT and r.reason is None
            ]
            if not records:
                return []
            students = {
                s.id: s.short_name
                for s in await uow.students.many(sorted({r.student_id for r in records}))
            }
            return [
                [students.get(r.student_id, ""), r.day.isoformat(), names.get(r.subject_id, "")]
                for r in sorted(records, key=lambda r: (students.get(r.student_id, ""), r.day))
            ]

        return await self._weekly_to_class_teachers("reconcile", lines)

    async def weekly_failing(self) -> int:
        """To each class teacher: the students with failing marks this week (rule 8; 000 §4.4:
        the class teacher «оповещает родителей неуспевающих обучающихся»). A mark counts in the
        week it is given: a written work marked a few days late too (rule 3)."""

        async def lines(uow: Any, cls: ClassGroup, names: dict[int, str], today: date) -> list:
            if not rules.graded(cls.grade):
                return []
            monday = today - timedelta(days=today.weekday())
            since = monday - timedelta(days=rules.WRITTEN_MARK_DAYS_SENIOR)
            students = {s.id: s.short_name for s in await uow.students.in_class(cls.id, on=today)}
            marks = [
                x
                for x in await uow.marks.for_students(list(students), since, today)
                if x.value.failing
                and (x.day >= monday or x.created_at.astimezone(self.clock.tz).date() >= monday)
            ]
            marks.sort(key=lambda x: (students[x.student_id], x.day))
            return [
                [
                    students[x.student_id],
                    x.day.isoformat(),
                    names.get(x.subject_id, ""),
                    x.value.value,
                ]
                for x in marks
            ]

        return await self._weekly_to_class_teachers("failing", lines)

    async def weekly_quality(self) -> int:
        """To the deputies: the journal analysis with its workbook (``notifications.control``)."""
        from notifications import control

        return await control.weekly_quality(self)

    async def preliminary_results(self) -> int:
        """Two weeks before a period ends: the preliminary results (``notifications.control``)."""
        from notifications import control

        return await control.preliminary_results(self)

    async def _weekly_to_class_teachers(
        self,
        kind: str,
        lines_of: Callable[[Any, ClassGroup, dict[int, str], date], Awaitable[list]],
    ) -> int:
        """One list a class to its class teacher, once a day at most: ``lines_of(uow, class,
        subject names, today)`` gives its lines; a class with none gets nothing."""
        now = self.clock.now()
        today = now.date()
        written = 0
        async with self.uow() as uow:
            facts = await self._year(uow)
            if facts is None:
                return 0
            _, classes = facts
            names = {s.id: s.name for s in await uow.subjects.list_all()}
            for cls in classes:
                if cls.class_teacher_id is None:
                    continue
                found = await lines_of(uow, cls, names, today)
                if found:
                    written += await self._staff_rows(
                        uow,
                        kind,
                        {cls.class_teacher_id: found},
                        now,
                        f"{kind}:{{account}}:{cls.id}:{today}",
                        {"class": cls.name},
                    )
        return written


def summary_week(day: date) -> bool:
    """The fortnightly pushes go in even ISO weeks: every other week, the same for all."""
    return day.isocalendar().week % 2 == 0


def _by_reason(absences: Sequence[AttendanceRecord]) -> dict[str, int]:
    """Absences by reason; "" for those with no reason recorded yet (not the same as Н)."""
    counts: dict[str, int] = defaultdict(int)
    for r in absences:
        counts[r.reason.value if r.reason else ""] += 1
    return dict(counts)


def _item(kind: str, cls: ClassGroup, names: dict[int, str], lesson: Lesson) -> list[Any]:
    return [kind, cls.name, names.get(lesson.subject_id, ""), lesson.day.isoformat(), lesson.slot]
