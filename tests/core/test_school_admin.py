"""SchoolAdminService: lessons from the timetable, substitutions, cancellations, periods."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

import pytest

from core import model as m
from core.access import SYSTEM, Viewer
from core.errors import (
    AccessDenied,
    DomainError,
    NotFound,
    PeriodClosed,
    PrivateChatRequired,
    ReasonRequired,
    ValidationFailed,
)
from core.events import LessonChanged, PeriodClosedEvent
from core.journal import JournalService
from core.model import AttendanceKind, MarkValue
from core.school_admin import SchoolAdminService
from tests.core.conftest import NOW, TODAY, SmallSchool
from tests.core.fakes import FakeStore

MON = date(2026, 11, 16)
SUN = date(2026, 11, 22)


def state(store: FakeStore) -> tuple[dict[str, Any], int]:
    tables = {n: {i: asdict(e) for i, e in rows.items()} for n, rows in store.tables.items()}
    return tables, len(store.outbox)


async def refused(store: FakeStore, error: type[DomainError], awaitable) -> DomainError:
    before = state(store)
    with pytest.raises(DomainError) as info:
        await awaitable
    assert type(info.value) is error, info.value
    assert state(store) == before
    return info.value


def rows(store: FakeStore, table: str) -> list[Any]:
    return list(store.tables.get(table, {}).values())


def row(store: FakeStore, table: str, entity_id: int) -> Any:
    return store.tables[table][entity_id]


@pytest.fixture
def admin_service(small: SmallSchool) -> SchoolAdminService:
    return SchoolAdminService(small.store.uow, small.clock)


@pytest.fixture
def admin(small: SmallSchool) -> Viewer:
    return small.viewer(small.admin)


@pytest.fixture
async def timetable(small: SmallSchool) -> None:
    s = small
    async with s.store.uow() as uow:
        for entry in (
            m.TimetableEntry(s.c7.id, 0, 1, s.maths.id, s.teacher.id, room="12"),
            m.TimetableEntry(s.c7.id, 2, 2, s.maths.id, s.teacher.id),  # lesson_today exists
            m.TimetableEntry(
                s.c7.id, 2, 4, s.english.id, s.english_teacher.id, subgroup_id=s.eng_group.id
            ),  # english_today exists
            m.TimetableEntry(
                s.c7.id, 4, 1, s.maths.id, s.teacher.id, valid_from=date(2026, 11, 20)
            ),
            m.TimetableEntry(s.c7.id, 3, 1, s.maths.id, s.teacher.id, valid_to=date(2026, 11, 18)),
            m.TimetableEntry(s.c10.id, 1, 3, s.maths.id, s.teacher.id),
        ):
            await uow.timetable.add(entry)
        await uow.commit()


def made(store: FakeStore, before: set[int]) -> list[tuple[date, int, int]]:
    return sorted((x.day, x.slot, x.class_id) for x in rows(store, "lessons") if x.id not in before)


# --- make_lessons -----------------------------------------------------------------------------


async def test_make_lessons_for_a_week(small, admin_service, admin, timetable):
    before = {x.id for x in rows(small.store, "lessons")}
    assert await admin_service.make_lessons(admin, MON, SUN) == 3
    assert made(small.store, before) == [
        (MON, 1, small.c7.id),
        (MON + timedelta(days=1), 3, small.c10.id),
        (date(2026, 11, 20), 1, small.c7.id),
    ]
    monday = next(x for x in rows(small.store, "lessons") if x.day == MON)
    assert (monday.teacher_id, monday.room, monday.status) == (
        small.teacher.id,
        "12",
        m.LessonStatus.PLANNED,
    )
    assert await admin_service.make_lessons(admin, MON, SUN) == 0  # nothing twice


async def test_make_lessons_skips_holidays_and_days_outside_open_periods(
    small, admin_service, admin, timetable
):
    async with small.store.uow() as uow:
        await uow.holidays.add(
            m.Holiday(small.year.id, "День", MON + timedelta(1), MON + timedelta(1))
        )
        await uow.commit()
    before = {x.id for x in rows(small.store, "lessons")}
    assert await admin_service.make_lessons(admin, MON, SUN) == 2
    # autumn holidays and the closed first quarter: only Thursday 5 November is a school day
    assert await admin_service.make_lessons(admin, date(2026, 10, 19), date(2026, 11, 6)) == 1
    assert (date(2026, 11, 5), 1, small.c7.id) in made(small.store, before)


async def test_make_lessons_by_deputy_and_system(small, admin_service, timetable):
    assert await admin_service.make_lessons(small.viewer(small.deputy), MON, MON) == 1
    assert await admin_service.make_lessons(SYSTEM, MON, SUN) == 2


@pytest.mark.parametrize("who", ["teacher", "class_teacher", "mother"])
async def test_make_lessons_refused_to_others(small, admin_service, timetable, who):
    await refused(
        small.store,
        AccessDenied,
        admin_service.make_lessons(small.viewer(getattr(small, who)), MON, SUN),
    )


async def test_make_lessons_validates_the_range(small, admin_service, admin):
    await refused(small.store, ValidationFailed, admin_service.make_lessons(admin, SUN, MON))


# --- substitutions and cancellations ------------------------------------------------------------


async def test_substitute(small, admin_service, admin):
    lesson = await admin_service.substitute(admin, small.lesson_today.id, small.other_teacher.id)
    assert lesson.substitute_id == small.other_teacher.id
    await admin_service.substitute(admin, small.lesson_today.id, small.other_teacher.id)  # again
    assert small.store.outbox == [
        LessonChanged(small.lesson_today.id, small.c7.id, None, TODAY.isoformat(), "substitution")
    ]
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.before, entry.after, entry.actor_id) == (
        "lesson.substitution",
        "",
        str(small.other_teacher.id),
        small.admin.id,
    )
    # the substitute now takes the roll
    journal = JournalService(small.store.uow, small.clock)
    await journal.set_attendance(
        small.viewer(small.other_teacher),
        small.lesson_today.id,
        small.ivanov.id,
        AttendanceKind.ABSENT,
    )
    # and the teacher again: the substitution is taken back
    lesson = await admin_service.substitute(admin, small.lesson_today.id, small.teacher.id)
    assert lesson.substitute_id is None
    assert len(small.store.events(LessonChanged)) == 2


async def test_substitute_refusals(small, admin_service, admin):
    await refused(
        small.store, NotFound, admin_service.substitute(admin, small.lesson_today.id, 9999)
    )
    await refused(
        small.store,
        PeriodClosed,
        admin_service.substitute(admin, small.lesson_q1.id, small.other_teacher.id),
    )
    for viewer, error in (
        (small.viewer(small.teacher), AccessDenied),
        (small.viewer(small.class_teacher), AccessDenied),
        (Viewer(), AccessDenied),
        (small.viewer(small.admin, private=False), PrivateChatRequired),
    ):
        await refused(
            small.store,
            error,
            admin_service.substitute(viewer, small.lesson_today.id, small.other_teacher.id),
        )


async def test_cancel_and_restore(small, admin_service):
    deputy = small.viewer(small.deputy)
    lesson = await admin_service.cancel_lesson(deputy, small.lesson_tomorrow.id)
    assert lesson.status == m.LessonStatus.CANCELLED
    await admin_service.cancel_lesson(deputy, small.lesson_tomorrow.id)
    lesson = await admin_service.restore_lesson(deputy, small.lesson_tomorrow.id)
    assert lesson.status == m.LessonStatus.PLANNED
    await admin_service.restore_lesson(deputy, small.lesson_tomorrow.id)
    assert [e.change for e in small.store.events(LessonChanged)] == ["cancellation", "restored"]
    assert [e.action for e in rows(small.store, "audit")] == [
        "lesson.cancellation",
        "lesson.restored",
    ]


async def test_a_lesson_with_marks_is_not_cancelled(small, admin_service, admin):
    journal = JournalService(small.store.uow, small.clock)
    await journal.give_mark(
        small.viewer(small.teacher),
        small.lesson_today.id,
        small.ivanov.id,
        MarkValue.FIVE,
        small.oral.id,
    )
    await refused(
        small.store, ValidationFailed, admin_service.cancel_lesson(admin, small.lesson_today.id)
    )


async def test_cancel_refused_to_a_teacher(small, admin_service):
    await refused(
        small.store,
        AccessDenied,
        admin_service.cancel_lesson(small.viewer(small.teacher), small.lesson_today.id),
    )


# --- periods ------------------------------------------------------------------------------


async def test_close_period_stops_edits(small, admin_service, admin):
    period = await admin_service.close_period(admin, small.q2.id)
    assert period.closed_at == NOW
    await admin_service.close_period(admin, small.q2.id)  # already closed: nothing new
    assert small.store.outbox == [PeriodClosedEvent(small.q2.id, True)]
    assert [e.action for e in rows(small.store, "audit")] == ["period.close"]
    journal = JournalService(small.store.uow, small.clock)
    with pytest.raises(PeriodClosed):
        await journal.give_mark(
            small.viewer(small.teacher),
            small.lesson_today.id,
            small.ivanov.id,
            MarkValue.FIVE,
            small.oral.id,
        )


@pytest.mark.parametrize("who", ["deputy", "teacher", "class_teacher"])
async def test_only_the_admin_closes(small, admin_service, who):
    await refused(
        small.store,
        AccessDenied,
        admin_service.close_period(small.viewer(getattr(small, who)), small.q2.id),
    )


async def test_reopen_needs_a_reason(small, admin_service, admin):
    await refused(small.store, ReasonRequired, admin_service.reopen_period(admin, small.q1.id, " "))
    await refused(
        small.store,
        AccessDenied,
        admin_service.reopen_period(small.viewer(small.deputy), small.q1.id, "ошибка"),
    )
    period = await admin_service.reopen_period(admin, small.q1.id, "исправление оценки")
    assert period.closed_at is None
    assert small.store.outbox == [PeriodClosedEvent(small.q1.id, False)]
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.reason, entry.after) == (
        "period.reopen",
        "исправление оценки",
        "open",
    )


async def test_unknown_period(small, admin_service, admin):
    await refused(small.store, NotFound, admin_service.close_period(admin, 9999))


async def test_quarantine_moves_a_period(small, admin_service, admin):
    period = await admin_service.move_period(
        admin, small.q2.id, date(2026, 11, 9), date(2027, 1, 5), "карантин"
    )
    assert (period.starts_on, period.ends_on) == (date(2026, 11, 9), date(2027, 1, 5))
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.before, entry.after, entry.reason) == (
        "period.move",
        "2026-11-05..2026-12-28",
        "2026-11-09..2027-01-05",
        "карантин",
    )


@pytest.mark.parametrize(
    ("starts_on", "ends_on", "error"),
    [
        (date(2026, 11, 9), date(2027, 1, 12), ValidationFailed),  # into the third quarter
        (date(2026, 10, 20), date(2026, 12, 28), ValidationFailed),  # into the first
        (date(2026, 12, 28), date(2026, 11, 5), ValidationFailed),  # backwards
    ],
)
async def test_move_period_refusals(small, admin_service, admin, starts_on, ends_on, error):
    await refused(
        small.store, error, admin_service.move_period(admin, small.q2.id, starts_on, ends_on, "x")
    )


async def test_move_period_stays_inside_the_year(small, admin_service, admin):
    q4 = next(p for p in rows(small.store, "periods") if p.number == 4)
    await refused(
        small.store,
        ValidationFailed,
        admin_service.move_period(admin, q4.id, date(2027, 4, 1), date(2027, 9, 5), "x"),
    )


async def test_move_period_refused_without_reason_when_closed_and_to_a_deputy(
    small, admin_service, admin
):
    dates = (date(2026, 11, 9), date(2026, 12, 30))
    await refused(
        small.store, ReasonRequired, admin_service.move_period(admin, small.q2.id, *dates, "")
    )
    await refused(
        small.store,
        PeriodClosed,
        admin_service.move_period(admin, small.q1.id, date(2026, 9, 2), date(2026, 10, 24), "x"),
    )
    await refused(
        small.store,
        AccessDenied,
        admin_service.move_period(small.viewer(small.deputy), small.q2.id, *dates, "x"),
    )
