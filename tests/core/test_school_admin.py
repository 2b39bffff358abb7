"""SchoolAdminService: lessons from the timetable, substitutions, cancellations, periods."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from core import model as m
from core.access import SYSTEM, Viewer
from core.errors import (
    AccessDenied,
    DomainError,
    LessonCancelled,
    LessonHasRecords,
    LessonOver,
    NoSuchSlot,
    NotFound,
    NotSchoolDay,
    PeriodClosed,
    PeriodDatesRefused,
    PeriodNotOver,
    PrivateChatRequired,
    ReasonRequired,
    SlotTaken,
    SubstitutionTooLate,
    TeacherBusy,
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
    plan = await admin_service.make_lessons(admin, MON, SUN)
    assert plan.made == 3
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
    assert (await admin_service.make_lessons(admin, MON, SUN)).made == 0  # nothing twice


async def test_make_lessons_by_deputy_and_system(small, admin_service, timetable):
    assert (await admin_service.make_lessons(small.viewer(small.deputy), MON, MON)).made == 1
    assert (await admin_service.make_lessons(SYSTEM, MON, SUN)).made == 2


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
        LessonChanged(
            small.lesson_today.id,
            small.c7.id,
            None,
            TODAY.isoformat(),
            "substitution",
            (small.teacher.id, small.other_teacher.id),
        )
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
    # the roll is taken: from now on the substitution stays (rule 1)
    await refused(
        small.store,
        SubstitutionTooLate,
        admin_service.substitute(admin, small.lesson_today.id, small.teacher.id),
    )
    # tomorrow's lesson: recorded ahead, and taken back
    lesson = await admin_service.substitute(admin, small.lesson_tomorrow.id, small.deputy.id)
    assert lesson.substitute_id == small.deputy.id
    lesson = await admin_service.substitute(admin, small.lesson_tomorrow.id, small.teacher.id)
    assert lesson.substitute_id is None
    assert small.store.events(LessonChanged)[-1].staff_ids == (small.teacher.id, small.deputy.id)


async def test_substitute_refusals(small, admin_service, admin):
    await refused(
        small.store, NotFound, admin_service.substitute(admin, small.lesson_today.id, 9999)
    )
    await refused(
        small.store,
        PeriodClosed,
        admin_service.substitute(admin, small.lesson_q1.id, small.other_teacher.id),
    )
    # rule 1: not after the lesson's day
    await refused(
        small.store,
        SubstitutionTooLate,
        admin_service.substitute(admin, small.lesson_yesterday.id, small.other_teacher.id),
    )
    # a substitute who teaches elsewhere at that time: the English teacher has 7А's group at
    # slot 4 today, the maths teacher 10А at slot 3
    async with small.store.uow() as uow:
        busy = await uow.lessons.add(
            m.Lesson(small.c10.id, TODAY, 4, small.maths.id, small.teacher.id)
        )
        await uow.commit()
    error = await refused(
        small.store,
        TeacherBusy,
        admin_service.substitute(admin, busy.id, small.english_teacher.id),
    )
    assert error.facts["class_name"] == "7А" and error.facts["slot"] == 4
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
    lesson = await admin_service.cancel_lesson(deputy, small.lesson_tomorrow.id, "экскурсия")
    assert (lesson.status, lesson.note) == (m.LessonStatus.CANCELLED, "экскурсия")
    await admin_service.cancel_lesson(deputy, small.lesson_tomorrow.id)
    await refused(
        small.store,
        LessonCancelled,
        admin_service.substitute(deputy, small.lesson_tomorrow.id, small.other_teacher.id),
    )
    lesson = await admin_service.restore_lesson(deputy, small.lesson_tomorrow.id)
    assert (lesson.status, lesson.note) == (m.LessonStatus.PLANNED, "")
    await admin_service.restore_lesson(deputy, small.lesson_tomorrow.id)
    assert [e.change for e in small.store.events(LessonChanged)] == ["cancellation", "restored"]
    assert [(e.action, e.reason) for e in rows(small.store, "audit")] == [
        ("lesson.cancellation", "экскурсия"),
        ("lesson.restored", ""),
    ]


async def test_a_lesson_with_marks_is_not_cancelled_or_moved(small, admin_service, admin):
    journal = JournalService(small.store.uow, small.clock)
    await journal.give_mark(
        small.viewer(small.teacher),
        small.lesson_today.id,
        small.ivanov.id,
        MarkValue.FIVE,
        small.oral.id,
    )
    await refused(
        small.store, LessonHasRecords, admin_service.cancel_lesson(admin, small.lesson_today.id)
    )
    await refused(
        small.store,
        LessonHasRecords,
        admin_service.move_lesson(admin, small.lesson_today.id, TODAY, 5),
    )


async def test_cancel_refused_to_a_teacher(small, admin_service):
    for who in (small.teacher, small.class_teacher):
        await refused(
            small.store,
            AccessDenied,
            admin_service.cancel_lesson(small.viewer(who), small.lesson_today.id),
        )


async def test_move_a_lesson_keeps_its_topic_and_homework(small, admin_service, admin):
    friday = date(2026, 11, 20)
    async with small.store.uow() as uow:
        tomorrow = await uow.lessons.get(small.lesson_tomorrow.id)
        tomorrow.topic = "Проценты"
        homework = await uow.homework.add(
            m.Homework(
                tomorrow.id, small.c7.id, small.maths.id, tomorrow.day, friday, "№ 7",
                small.teacher.id, NOW,
            )
        )  # fmt: skip
        await uow.commit()
    moved = await admin_service.move_lesson(admin, small.lesson_tomorrow.id, friday, 3, "олимпиада")
    assert (moved.day, moved.slot, moved.topic, moved.origin) == (
        friday,
        3,
        "Проценты",
        m.LessonOrigin.MOVED,
    )
    old = row(small.store, "lessons", small.lesson_tomorrow.id)
    assert old.status == m.LessonStatus.CANCELLED and old.note.startswith("→ 2026-11-20/3")
    assert row(small.store, "homework", homework.id).lesson_id == moved.id
    (event,) = small.store.events(LessonChanged)
    assert (event.change, event.to_day, event.to_slot) == ("moved", "2026-11-20", 3)


@pytest.mark.parametrize(
    ("day", "slot", "error"),
    [
        (TODAY, 3, TeacherBusy),  # the teacher has 10А then
        (TODAY, 4, SlotTaken),  # 7А's English group has a lesson then
        (date(2026, 11, 21), 1, NotSchoolDay),  # a Saturday
        (date(2026, 11, 17), 1, NotSchoolDay),  # in the past
        (date(2026, 11, 20), 9, NoSuchSlot),  # no such bell
    ],
)
async def test_move_refusals(small, admin_service, admin, day, slot, error):
    await refused(
        small.store, error, admin_service.move_lesson(admin, small.lesson_tomorrow.id, day, slot)
    )


async def test_a_past_lesson_is_not_moved(small, admin_service, admin):
    await refused(
        small.store,
        LessonOver,
        admin_service.move_lesson(admin, small.lesson_yesterday.id, date(2026, 11, 20), 3),
    )


async def test_an_extra_lesson(small, admin_service):
    deputy = small.viewer(small.deputy)
    friday = date(2026, 11, 20)
    lesson = await admin_service.add_lesson(
        deputy, small.c7.id, friday, 5, small.english.id, small.other_teacher.id, room="Актовый"
    )
    assert (lesson.origin, lesson.teacher_id, lesson.room) == (
        m.LessonOrigin.EXTRA,
        small.other_teacher.id,
        "Актовый",
    )
    # its teacher conducts it, though they hold no teaching in 7А
    journal = JournalService(small.store.uow, small.clock)
    small.clock.set(datetime(2026, 11, 20, 13, 0, tzinfo=NOW.tzinfo))
    await journal.set_attendance(
        small.viewer(small.other_teacher), lesson.id, small.ivanov.id, AttendanceKind.ABSENT
    )
    await refused(
        small.store,
        SlotTaken,
        admin_service.add_lesson(deputy, small.c7.id, friday, 5, small.maths.id, small.teacher.id),
    )


# --- periods ------------------------------------------------------------------------------


async def test_a_period_is_closed_on_its_last_day_or_after(small, admin_service, admin):
    error = await refused(
        small.store, PeriodNotOver, admin_service.close_period(admin, small.q2.id)
    )
    assert error.facts["ends_on"] == date(2026, 12, 28)
    q3 = next(p for p in rows(small.store, "periods") if p.number == 3)
    await refused(small.store, PeriodNotOver, admin_service.close_period(admin, q3.id))


async def test_close_period_stops_edits(small, admin_service, admin):
    last_day = datetime(2026, 12, 28, 18, 0, tzinfo=NOW.tzinfo)
    small.clock.set(last_day)
    period = await admin_service.close_period(admin, small.q2.id)
    assert period.closed_at == last_day
    small.clock.set(NOW)
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
    assert period.closed_at is None and period.reopened_at == NOW
    assert small.store.outbox == [PeriodClosedEvent(small.q1.id, False)]
    (entry,) = rows(small.store, "audit")
    assert (entry.action, entry.reason, entry.after) == (
        "period.reopen",
        "исправление оценки",
        "open",
    )


async def test_unknown_period(small, admin_service, admin):
    await refused(small.store, NotFound, admin_service.close_period(admin, 9999))


async def test_periods_close_by_themselves_after_their_window(small, admin_service):
    """Rule 6: two days after the period's end its marks are due; the night after, it closes.
    A period the admin reopened waits for the admin."""
    small.clock.set(datetime(2026, 12, 30, 23, 0, tzinfo=NOW.tzinfo))
    assert await admin_service.close_due_periods() == []  # the window's last day
    small.clock.set(datetime(2026, 12, 31, 0, 5, tzinfo=NOW.tzinfo))
    (closed,) = await admin_service.close_due_periods()
    assert closed.id == small.q2.id and closed.closed
    (entry,) = [e for e in rows(small.store, "audit") if e.action == "period.close"]
    assert (entry.actor_id, entry.reason) == (None, "auto")
    admin = small.viewer(small.admin)
    await admin_service.reopen_period(admin, small.q2.id, "исправление")
    assert await admin_service.close_due_periods() == []
    assert not row(small.store, "periods", small.q2.id).closed


async def test_quarantine_moves_a_period_and_its_lessons(small, admin_service, admin, timetable):
    period, plan = await admin_service.move_period(
        admin, small.q2.id, date(2026, 11, 9), date(2027, 1, 5), "карантин"
    )
    assert (period.starts_on, period.ends_on) == (date(2026, 11, 9), date(2027, 1, 5))
    assert plan.start == TODAY and plan.made > 0
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
        (date(2026, 11, 9), date(2027, 1, 12), PeriodDatesRefused),  # into the third quarter
        (date(2026, 10, 20), date(2026, 12, 28), PeriodDatesRefused),  # into the first
        (date(2026, 12, 28), date(2026, 11, 5), ValidationFailed),  # backwards
    ],
)
async def test_move_period_refusals(small, admin_service, admin, starts_on, ends_on, error):
    await refused(
        small.store, error, admin_service.move_period(admin, small.q2.id, starts_on, ends_on, "x")
    )


async def test_move_period_stays_inside_the_year(small, admin_service, admin):
    q4 = next(p for p in rows(small.store, "periods") if p.number == 4)
    error = await refused(
        small.store,
        PeriodDatesRefused,
        admin_service.move_period(admin, q4.id, date(2027, 4, 1), date(2027, 9, 5), "x"),
    )
    assert error.facts["why"] == "outside_year"


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
