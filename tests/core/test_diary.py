"""The diary's read side: exact read models and the access matrix of every view."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from fractions import Fraction as F
from typing import Any

import pytest

from core import model as m
from core.access import Viewer
from core.calendar import Calendars, PeriodView, YearView
from core.diary import (
    AbsenceTotals,
    AttendanceSummary,
    AttendanceView,
    DayTimetable,
    DiaryService,
    FinalMarks,
    HomeworkList,
    HomeworkView,
    LessonView,
    MarkView,
    PeriodMarks,
    StudentCache,
    StudentCard,
    StudentTimetable,
    SubjectAttendance,
    SubjectFinals,
)
from core.errors import (
    AccessDenied,
    ConsentRequired,
    NoPeriod,
    NotFound,
    PrivateChatRequired,
    StudentLeft,
    ValidationFailed,
)
from core.grading import Change, Forecast
from tests.core.conftest import TZ, SmallSchool

D = date


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=TZ)


@dataclass
class Data:
    """The small school plus a fortnight of the second quarter for 7А."""

    s: SmallSchool
    diary: DiaryService
    history: m.Subject
    eng_group2: m.Subgroup
    english_teacher2: m.Staff
    pending: m.Guardian  # a guardian of ivanov who has not consented yet
    maths_a: m.Lesson  # Tue 10.11
    maths_b: m.Lesson  # Wed 11.11
    maths_cancelled: m.Lesson  # Thu 12.11
    history_mon: m.Lesson  # Mon 16.11, slot 1
    eng_mon: m.Lesson  # Mon 16.11, slot 3, group 1
    eng2_today: m.Lesson  # Wed 18.11, slot 4, group 2
    marks: dict[str, m.Mark]
    homework: dict[str, m.Homework]
    attendance: dict[str, m.AttendanceRecord]

    def v(self, who: Any, private: bool = True) -> Viewer:
        return self.s.viewer(who, private)


@pytest.fixture
async def data(small: SmallSchool) -> Data:
    s = small
    async with s.store.uow() as uow:
        history = await uow.subjects.add(m.Subject(s.school.id, "История"))
        eng_group2 = await uow.subgroups.add(m.Subgroup(s.c7.id, "Английский, гр. 2", s.english.id))
        await uow.subgroups.add_member(m.SubgroupMember(eng_group2.id, s.petrova.id))
        english_teacher2 = await uow.staff.add(m.Staff("Белова", "Ирина"))
        await uow.teachings.add(
            m.Teaching(english_teacher2.id, s.english.id, s.c7.id, eng_group2.id)
        )
        pending = await uow.guardians.add(m.Guardian("Иванов", "Николай"))
        await uow.guardian_links.add(m.GuardianLink(pending.id, s.ivanov.id, "father"))

        def lesson(day, slot, subject, who, group=None, **kw):
            return m.Lesson(s.c7.id, day, slot, subject.id, who.id, subgroup_id=group, **kw)

        maths_a = await uow.lessons.add(lesson(D(2026, 11, 10), 1, s.maths, s.teacher))
        maths_b = await uow.lessons.add(
            lesson(D(2026, 11, 11), 2, s.maths, s.teacher, topic="Уравнения")
        )
        maths_cancelled = await uow.lessons.add(
            lesson(D(2026, 11, 12), 3, s.maths, s.teacher, status=m.LessonStatus.CANCELLED)
        )
        history_mon = await uow.lessons.add(
            lesson(D(2026, 11, 16), 1, history, s.other_teacher, topic="Петр I", room="21")
        )
        eng_mon = await uow.lessons.add(
            lesson(D(2026, 11, 16), 3, s.english, s.english_teacher, s.eng_group.id)
        )
        eng2_today = await uow.lessons.add(
            lesson(s.english_today.day, 4, s.english, english_teacher2, eng_group2.id)
        )
        s.lesson_today.topic = "Дроби"
        s.lesson_today.room = "12"
        s.lesson_yesterday.substitute_id = s.class_teacher.id

        def mark(lesson_, student, value, wt, created, **kw):
            return m.Mark(
                lesson_.id,
                student.id,
                lesson_.subject_id,
                lesson_.day,
                value,
                wt.id,
                s.teacher.id,
                created,
                **kw,
            )

        V = m.MarkValue
        marks = {
            "a4": mark(maths_a, s.ivanov, V.FOUR, s.oral, at(D(2026, 11, 10), 10)),
            "b5": mark(
                maths_b, s.ivanov, V.FIVE, s.test, at(D(2026, 11, 12), 15), comment="Молодец"
            ),
            "eng5": mark(eng_mon, s.ivanov, V.FIVE, s.oral, at(D(2026, 11, 16), 12)),
            "y2": mark(
                s.lesson_yesterday,
                s.ivanov,
                V.TWO,
                s.homework_wt,
                at(D(2026, 11, 17), 12),
                superseded_at=at(D(2026, 11, 17), 13),
            ),
            "y3": mark(
                s.lesson_yesterday, s.ivanov, V.THREE, s.homework_wt, at(D(2026, 11, 17), 13)
            ),
            "pass": mark(s.lesson_today, s.ivanov, V.PASS, s.oral, at(D(2026, 11, 18), 9, 30)),
            "q1": mark(s.lesson_q1, s.ivanov, V.TWO, s.oral, at(D(2026, 10, 20), 10)),
            "pet2": mark(maths_a, s.petrova, V.TWO, s.oral, at(D(2026, 11, 10), 10, 5)),
            "pet_eng": mark(eng2_today, s.petrova, V.FOUR, s.oral, at(D(2026, 11, 18), 9)),
        }
        for x in marks.values():
            await uow.marks.add(x)
        marks["y2"].superseded_by = marks["y3"].id

        def final(student, subject, kind, value, period=None, **kw):
            return m.FinalMark(
                student.id,
                subject.id,
                s.year.id,
                kind,
                value,
                s.teacher.id,
                at(D(2026, 10, 24), 12),
                period_id=period.id if period else None,
                **kw,
            )

        P = m.FinalKind.PERIOD
        for f in (
            final(s.ivanov, s.maths, P, V.THREE, s.q1, superseded_at=at(D(2026, 10, 25), 9)),
            final(s.ivanov, s.maths, P, V.FOUR, s.q1),
            final(s.ivanov, history, P, V.FIVE, s.q1),
            final(s.ivanov, s.maths, m.FinalKind.YEAR, V.FOUR),
            final(s.petrova, s.maths, P, V.THREE, s.q2),
        ):
            await uow.finals.add(f)

        def hw(lesson_, due, text, **kw):
            return m.Homework(
                lesson_.id,
                lesson_.class_id,
                lesson_.subject_id,
                lesson_.day,
                due,
                text,
                lesson_.teacher_id,
                at(lesson_.day, 14),
                subgroup_id=lesson_.subgroup_id,
                **kw,
            )

        photo = m.Attachment("photo", "file-1", "page.jpg")
        homework = {
            "maths_y": hw(s.lesson_yesterday, D(2026, 11, 19), "№ 123", attachments=[photo]),
            "eng1": hw(eng_mon, D(2026, 11, 18), "Учить слова"),
            "eng2": hw(eng2_today, D(2026, 11, 20), "Текст 5"),
            "maths_t": hw(s.lesson_today, D(2026, 11, 20), "№ 130"),
            "c10": hw(s.lesson_10a_today, D(2026, 11, 19), "10А"),
        }
        for x in homework.values():
            await uow.homework.add(x)

        def absent(lesson_, student, kind=m.AttendanceKind.ABSENT, reason=None, late=None):
            return m.AttendanceRecord(
                lesson_.id,
                student.id,
                lesson_.subject_id,
                lesson_.day,
                kind,
                s.teacher.id,
                at(lesson_.day, 9),
                reason=reason,
                minutes_late=late,
            )

        R = m.AbsenceReason
        attendance = {
            "a": absent(maths_a, s.ivanov, reason=R.SICK),
            "hist": absent(history_mon, s.ivanov),
            "eng": absent(eng_mon, s.ivanov, m.AttendanceKind.LATE, late=10),
            "y": absent(s.lesson_yesterday, s.ivanov, reason=R.UNEXCUSED),
            "q1": absent(s.lesson_q1, s.ivanov, reason=R.EXCUSED),
            "pet": absent(maths_a, s.petrova, reason=R.SICK),
        }
        for x in attendance.values():
            await uow.attendance.add(x)
        await uow.commit()
    return Data(
        s,
        DiaryService(s.store.uow, s.clock),
        history,
        eng_group2,
        english_teacher2,
        pending,
        maths_a,
        maths_b,
        maths_cancelled,
        history_mon,
        eng_mon,
        eng2_today,
        marks,
        homework,
        attendance,
    )


def card(s: SmallSchool, student: m.Student) -> StudentCard:
    cls = {s.c7.id: s.c7, s.c1.id: s.c1, s.c10.id: s.c10}[student.class_id]
    return StudentCard(
        student.id, student.full_name, student.short_name, cls.id, cls.name, student.left_on
    )


def pv(p: m.Period) -> PeriodView:
    return PeriodView(p.id, p.kind, p.number, p.starts_on, p.ends_on, p.closed)


def mv(d: Data, key: str, topic: str = "") -> MarkView:
    x = d.marks[key]
    s = d.s
    wt = {s.oral.id: s.oral, s.test.id: s.test, s.homework_wt.id: s.homework_wt}[x.work_type_id]
    subject = {s.maths.id: s.maths, s.english.id: s.english}[x.subject_id]
    return MarkView(
        x.id,
        x.lesson_id,
        x.day,
        x.subject_id,
        subject.name,
        x.value,
        wt.id,
        wt.code,
        wt.short,
        wt.name,
        F(wt.weight),
        x.comment,
        topic,
        x.created_at,
    )


# --- students_of ---------------------------------------------------------------------------


async def test_students_of(data: Data) -> None:
    s, diary = data.s, data.diary
    assert await diary.students_of(data.v(s.mother)) == [card(s, s.ivanov)]
    assert await diary.students_of(data.v(s.ivanov)) == [card(s, s.ivanov)]
    two = Viewer(guardian_id=s.mother.id, children=frozenset({s.petrova.id, s.ivanov.id}))
    assert await diary.students_of(two) == [card(s, s.ivanov), card(s, s.petrova)]
    both = Viewer(student_id=s.petrova.id, guardian_id=s.mother.id, children={s.ivanov.id})
    assert await diary.students_of(both) == [card(s, s.petrova), card(s, s.ivanov)]
    assert await diary.students_of(data.v(s.teacher)) == []
    # consent pending: not listed
    assert await diary.students_of(data.v(data.pending)) == []
    assert card(s, s.ivanov).class_name == "7А"
    assert card(s, s.ivanov).full_name == "Иванов Пётр"
    with pytest.raises(AccessDenied):
        await diary.students_of(Viewer())
    with pytest.raises(PrivateChatRequired):
        await diary.students_of(data.v(s.mother, private=False))


# --- period marks --------------------------------------------------------------------------


async def test_period_marks_exact(data: Data) -> None:
    s = data.s
    got = await data.diary.period_marks(data.v(s.mother), s.ivanov.id)
    assert got.student == card(s, s.ivanov)
    assert got.period == pv(s.q2)
    assert [p.number for p in got.periods] == [1, 2, 3, 4]
    assert [x.subject_name for x in got.subjects] == ["Английский язык", "История", "Математика"]
    english, history, maths = got.subjects

    assert english.subject_id == s.english.id
    assert english.marks == (mv(data, "eng5"),)
    assert english.average == 5
    assert english.forecast == Forecast(F(5), None, 2, None, None)
    assert english.final is None

    # a lesson but no marks yet
    assert history.marks == ()
    assert history.average is None
    assert history.forecast == Forecast(None, None, 3, None, None)
    assert history.final is None  # the 5 is the first quarter's

    # 4 (oral, 1) + 5 (test, 2) + 3 (homework, 1/2) = 15.5 / 3.5 = 31/7; the pass doesn't count.
    # Up: (15.5 + 5n) / (3.5 + n) >= 4.5 at n = 1; down: < 3.5 at n = 3 (21.5/6.5).
    # (topics come with latest_marks only)
    assert maths.marks == (mv(data, "a4"), mv(data, "b5"), mv(data, "y3"), mv(data, "pass"))
    assert maths.average == F(31, 7)
    assert maths.forecast == Forecast(F(31, 7), 4, 0, Change(5, 1, 5), Change(2, 3, 3))
    assert maths.final is None
    b5 = maths.marks[1]
    assert (b5.work_type_short, b5.work_type_code, b5.weight, b5.comment, b5.points) == (
        "КР",
        "test",
        2,
        "Молодец",
        5,
    )
    assert maths.marks[3].points is None


async def test_period_marks_superseded_not_shown(data: Data) -> None:
    s = data.s
    got = await data.diary.period_marks(data.v(s.ivanov), s.ivanov.id)
    ids = {x.id for subject in got.subjects for x in subject.marks}
    assert data.marks["y2"].id not in ids
    assert data.marks["y3"].id in ids
    latest = await data.diary.latest_marks(data.v(s.ivanov), s.ivanov.id, limit=100)
    assert data.marks["y2"].id not in {x.id for x in latest}


async def test_period_marks_of_a_given_period_with_finals(data: Data) -> None:
    s = data.s
    got = await data.diary.period_marks(data.v(s.mother), s.ivanov.id, s.q1.id)
    assert got.period == pv(s.q1)
    assert got.period.closed
    assert [x.subject_name for x in got.subjects] == ["История", "Математика"]
    history, maths = got.subjects
    assert history.final == m.MarkValue.FIVE
    assert history.marks == ()
    assert maths.final == m.MarkValue.FOUR  # the superseded 3 is gone
    assert maths.marks == (mv(data, "q1"),)
    assert maths.forecast == Forecast(F(2), None, 2, None, None)
    with pytest.raises(NotFound):
        await data.diary.period_marks(data.v(s.mother), s.ivanov.id, 99999)


async def test_period_marks_in_holidays_take_the_last_period_that_started(data: Data) -> None:
    s = data.s
    s.clock.set(datetime(2026, 11, 2, 12, 0))  # autumn holidays
    got = await data.diary.period_marks(data.v(s.mother), s.ivanov.id)
    assert got.period == pv(s.q1)
    s.clock.set(datetime(2026, 8, 20, 12, 0))  # before the year: its first period
    got = await data.diary.period_marks(data.v(s.mother), s.ivanov.id)
    assert got.period == pv(s.q1)
    s.clock.set(datetime(2027, 6, 20, 12, 0))  # summer
    got = await data.diary.period_marks(data.v(s.mother), s.ivanov.id)
    assert got.period.number == 4


async def test_period_marks_without_periods(data: Data) -> None:
    s = data.s
    s.store.tables["periods"].clear()
    with pytest.raises(NoPeriod):
        await data.diary.period_marks(data.v(s.mother), s.ivanov.id)


async def test_period_marks_rounding_threshold_of_the_school(data: Data) -> None:
    s = data.s
    s.school.rounding_threshold = "0.6"
    s.school.min_marks_for_period = 2
    got = await data.diary.period_marks(data.v(s.mother), s.ivanov.id)
    maths = got.subjects[2]
    # 31/7 = 4.43 -> 4; up needs 4.6: 15.5 + 5n >= 16.1 + 4.6n -> n = 2 (25.5/5.5 = 4.64)
    assert maths.forecast == Forecast(F(31, 7), 4, 0, Change(5, 2, 5), Change(2, 2, 3))
    assert got.subjects[0].forecast.marks_needed == 1


# --- latest marks --------------------------------------------------------------------------


async def listed(d: Data, key: str, topic: str = "") -> MarkView:
    """A mark as the newest-first lists show it: with its lesson's slot, and whether it
    replaced a corrected mark."""
    async with d.s.store.uow() as uow:
        lesson = await uow.lessons.get(d.marks[key].lesson_id)
        corrected = any(x.superseded_by == d.marks[key].id for x in d.marks.values())
    return replace(mv(d, key, topic), slot=lesson.slot, corrected=corrected)


async def test_latest_marks(data: Data) -> None:
    s = data.s
    got = await data.diary.latest_marks(data.v(s.mother), s.ivanov.id)
    assert got == [
        await listed(data, "pass", "Дроби"),
        await listed(data, "y3"),  # a correction of y2: it says so
        await listed(data, "eng5"),
        await listed(data, "b5", "Уравнения"),
        await listed(data, "a4"),
        await listed(data, "q1"),
    ]
    assert got[1].corrected and not got[0].corrected
    assert await data.diary.latest_marks(data.v(s.mother), s.ivanov.id, limit=2) == got[:2]
    teacher = await data.diary.latest_marks(data.v(s.teacher), s.ivanov.id, limit=3)
    assert teacher == [got[0], got[1], got[3]]
    with pytest.raises(ValidationFailed):
        await data.diary.latest_marks(data.v(s.mother), s.ivanov.id, limit=0)


# --- final marks ---------------------------------------------------------------------------


async def test_final_marks(data: Data) -> None:
    s = data.s
    V = m.MarkValue
    got = await data.diary.final_marks(data.v(s.mother), s.ivanov.id)
    assert got == FinalMarks(
        card(s, s.ivanov),
        YearView(s.year.id, "2026/2027", D(2026, 9, 1), D(2027, 8, 31)),
        got.periods,
        (
            SubjectFinals(s.english.id, "Английский язык", (None,) * 4, None, None, None),
            SubjectFinals(data.history.id, "История", (V.FIVE, None, None, None), None, None, None),
            SubjectFinals(s.maths.id, "Математика", (V.FOUR, None, None, None), V.FOUR, None, None),
        ),
        (YearView(s.year.id, "2026/2027", D(2026, 9, 1), D(2027, 8, 31)),),
    )
    assert [p.number for p in got.periods] == [1, 2, 3, 4]
    petrova = await data.diary.final_marks(data.v(s.other_parent), s.petrova.id, s.year.id)
    assert [(x.subject_name, x.periods) for x in petrova.subjects] == [
        ("Английский язык", (None,) * 4),
        ("Математика", (None, V.THREE, None, None)),
    ]
    with pytest.raises(NotFound):
        await data.diary.final_marks(data.v(s.mother), s.ivanov.id, 99999)


# --- attendance ----------------------------------------------------------------------------


async def test_attendance_summary(data: Data) -> None:
    s = data.s
    R, K = m.AbsenceReason, m.AttendanceKind
    got = await data.diary.attendance(data.v(s.mother), s.ivanov.id)

    def row(key: str, slot: int, subject: str) -> AttendanceView:
        r = data.attendance[key]
        return AttendanceView(
            r.id, r.lesson_id, r.day, slot, r.subject_id, subject, r.kind, r.reason, r.minutes_late
        )

    assert got == AttendanceSummary(
        student=card(s, s.ivanov),
        period=pv(s.q2),
        periods=got.periods,
        records=(
            row("a", 1, "Математика"),
            row("hist", 1, "История"),
            row("eng", 3, "Английский язык"),
            row("y", 2, "Математика"),
        ),
        totals=AbsenceTotals(absent=3, sick=1, excused=0, unexcused=1, no_reason=1, late=1),
        subjects=(
            # eng_mon and english_today (group 1); not the group 2 lesson
            SubjectAttendance(s.english.id, "Английский язык", 2, AbsenceTotals(late=1)),
            SubjectAttendance(data.history.id, "История", 1, AbsenceTotals(1, no_reason=1)),
            # 10.11, 11.11, 17.11, 18.11; not the cancelled 12.11 nor tomorrow's
            SubjectAttendance(s.maths.id, "Математика", 4, AbsenceTotals(2, sick=1, unexcused=1)),
        ),
        lessons_so_far=7,
        as_of=D(2026, 11, 18),
    )
    assert got.records[2].kind == K.LATE and got.records[2].minutes_late == 10
    assert got.records[3].reason == R.UNEXCUSED

    q1 = await data.diary.attendance(data.v(s.mother), s.ivanov.id, s.q1.id)
    assert q1.totals == AbsenceTotals(1, excused=1)
    assert q1.lessons_so_far == 1
    assert q1.as_of == s.q1.ends_on


async def test_attendance_of_a_subject_teacher_is_their_subject_only(data: Data) -> None:
    s = data.s
    got = await data.diary.attendance(data.v(s.teacher), s.ivanov.id)
    assert {r.subject_id for r in got.records} == {s.maths.id}
    assert [x.subject_id for x in got.subjects] == [s.maths.id]
    assert got.totals == AbsenceTotals(2, sick=1, unexcused=1)
    assert got.lessons_so_far == 4


async def test_lessons_before_arrival_are_not_counted(data: Data) -> None:
    s = data.s
    s.ivanov.arrived_on = D(2026, 11, 16)
    got = await data.diary.attendance(data.v(s.mother), s.ivanov.id)
    # 16.11 history and English, 17.11 and 18.11 maths, 18.11 English
    assert got.lessons_so_far == 5


# --- homework ------------------------------------------------------------------------------


def hv(d: Data, key: str, subject: str) -> HomeworkView:
    h = d.homework[key]
    return HomeworkView(
        h.id,
        h.lesson_id,
        h.subject_id,
        subject,
        h.text,
        tuple(h.attachments),
        h.due_on,
        h.day,
        h.subgroup_id,
    )


async def test_homework_and_subgroup_isolation(data: Data) -> None:
    s = data.s
    start, end = D(2026, 11, 16), D(2026, 11, 22)
    got = (await data.diary.homework(data.v(s.mother), s.ivanov.id, start, end)).items
    assert got == [
        hv(data, "eng1", "Английский язык"),
        hv(data, "maths_y", "Математика"),
        hv(data, "maths_t", "Математика"),
    ]
    assert got[1].attachments == (m.Attachment("photo", "file-1", "page.jpg"),)
    assert got[1].set_on == D(2026, 11, 17)
    # petrova is in group 2: its homework, never group 1's
    petrova = (await data.diary.homework(data.v(s.petrova), s.petrova.id, start, end)).items
    assert petrova == [
        hv(data, "maths_y", "Математика"),
        hv(data, "eng2", "Английский язык"),
        hv(data, "maths_t", "Математика"),
    ]
    narrow = (await data.diary.homework(data.v(s.ivanov), s.ivanov.id, D(2026, 11, 19), end)).items
    assert narrow == [hv(data, "maths_y", "Математика"), hv(data, "maths_t", "Математика")]
    assert (
        await data.diary.homework(data.v(s.ivanov), s.ivanov.id, D(2026, 12, 1), D(2026, 12, 7))
    ).items == []
    with pytest.raises(ValidationFailed):
        await data.diary.homework(data.v(s.ivanov), s.ivanov.id, end, start)
    with pytest.raises(ValidationFailed):
        await data.diary.homework(data.v(s.ivanov), s.ivanov.id, start, start + timedelta(400))


# --- timetable -----------------------------------------------------------------------------


def lv(d: Data, lesson: m.Lesson, **kw: Any) -> LessonView:
    s = d.s
    subjects = {s.maths.id: s.maths, s.english.id: s.english, d.history.id: d.history}
    staff = {
        x.id: x
        for x in (
            s.teacher,
            s.english_teacher,
            s.class_teacher,
            s.other_teacher,
            d.english_teacher2,
        )
    }
    bells = {1: (time(8, 30), time(9, 15)), 2: (time(9, 25), time(10, 10))}
    bells |= {3: (time(10, 25), time(11, 10)), 4: (time(11, 25), time(12, 10))}
    groups = {s.eng_group.id: s.eng_group.name, d.eng_group2.id: d.eng_group2.name}
    values: dict[str, Any] = dict(
        id=lesson.id,
        day=lesson.day,
        slot=lesson.slot,
        starts_at=bells[lesson.slot][0],
        ends_at=bells[lesson.slot][1],
        subject_id=lesson.subject_id,
        subject_name=subjects[lesson.subject_id].name,
        teacher_id=lesson.teacher_id,
        teacher_short_name=staff[lesson.teacher_id].short_name,
        substitute_id=lesson.substitute_id,
        substitute_short_name=(
            staff[lesson.substitute_id].short_name if lesson.substitute_id else None
        ),
        room=lesson.room,
        cancelled=lesson.status == m.LessonStatus.CANCELLED,
        topic=lesson.topic,
        has_homework=False,
        subgroup_id=lesson.subgroup_id,
        subgroup_name=groups.get(lesson.subgroup_id) if lesson.subgroup_id else None,
    )
    values.update(kw)
    return LessonView(**values)


async def test_timetable_of_a_student(data: Data) -> None:
    s = data.s
    got = (
        await data.diary.timetable(data.v(s.mother), s.ivanov.id, D(2026, 11, 16), D(2026, 11, 18))
    ).days
    assert got == [
        DayTimetable(
            D(2026, 11, 16),
            None,
            (lv(data, data.history_mon), lv(data, data.eng_mon, has_homework=True)),
        ),
        DayTimetable(D(2026, 11, 17), None, (lv(data, s.lesson_yesterday, has_homework=True),)),
        DayTimetable(
            D(2026, 11, 18),
            None,
            (lv(data, s.lesson_today, has_homework=True), lv(data, s.english_today)),
        ),
    ]
    yesterday = got[1].lessons[0]
    assert yesterday.teacher_short_name == "Смирнова А.П."
    assert yesterday.substitute_short_name == "Попова М.С."
    assert got[2].lessons[0].room == "12" and got[2].lessons[0].topic == "Дроби"
    assert got[2].lessons[1].subgroup_name == "Английский, гр. 1"

    week = (
        await data.diary.timetable(data.v(s.ivanov), s.ivanov.id, D(2026, 11, 12), D(2026, 11, 12))
    ).days
    assert week == [DayTimetable(D(2026, 11, 12), None, (lv(data, data.maths_cancelled),))]
    assert week[0].lessons[0].cancelled


async def test_a_substitute_added_after_the_reference_was_kept_is_named(data: Data) -> None:
    s = data.s
    day = s.lesson_yesterday.day
    await data.diary.timetable(data.v(s.mother), s.ivanov.id, day, day)  # reference kept
    async with s.store.uow() as uow:
        newcomer = await uow.staff.add(m.Staff("Орлова", "Вера", "Ильинична"))
        lesson = await uow.lessons.get(s.lesson_yesterday.id)
        lesson.substitute_id = newcomer.id
        await uow.commit()
    got = (await data.diary.timetable(data.v(s.mother), s.ivanov.id, day, day)).days
    assert got[0].lessons[0].substitute_short_name == "Орлова В.И."


async def test_timetable_shows_holidays(data: Data) -> None:
    s = data.s
    got = (
        await data.diary.timetable(data.v(s.ivanov), s.ivanov.id, D(2026, 11, 3), D(2026, 11, 5))
    ).days
    assert got == [
        DayTimetable(D(2026, 11, 3), "Осенние каникулы", ()),
        DayTimetable(D(2026, 11, 4), "Осенние каникулы", ()),
        DayTimetable(D(2026, 11, 5), None, ()),
    ]


async def test_class_timetable(data: Data) -> None:
    s = data.s
    day = D(2026, 11, 18)
    got = await data.diary.class_timetable(data.v(s.class_teacher), s.c7.id, day, day)
    assert got == [
        DayTimetable(
            day,
            None,
            (
                lv(data, s.lesson_today, has_homework=True),
                lv(data, s.english_today),
                lv(data, data.eng2_today, has_homework=True),
            ),
        )
    ]
    for who in (s.teacher, s.english_teacher, s.deputy, s.admin):
        assert await data.diary.class_timetable(data.v(who), s.c7.id, day, day) == got
    for who in (s.other_teacher, s.mother, s.ivanov):
        with pytest.raises(AccessDenied):
            await data.diary.class_timetable(data.v(who), s.c7.id, day, day)
    with pytest.raises(PrivateChatRequired):
        await data.diary.class_timetable(data.v(s.admin, private=False), s.c7.id, day, day)
    with pytest.raises(NotFound):
        await data.diary.class_timetable(data.v(s.admin), 99999, day, day)


# --- forecast for a class ------------------------------------------------------------------


async def test_forecast_for_class(data: Data) -> None:
    s = data.s
    got = await data.diary.forecast_for_class(data.v(s.teacher), s.c7.id, s.maths.id, s.q2.id)
    assert got == [
        (
            card(s, s.ivanov),
            Forecast(F(31, 7), 4, 0, Change(5, 1, 5), Change(2, 3, 3)),
            None,
        ),
        (card(s, s.petrova), Forecast(F(2), None, 2, None, None), m.MarkValue.THREE),
    ]
    student, forecast, final = got[1]
    assert (student.full_name, forecast.marks_needed, final) == ("Петрова Алёна", 2, "3")
    assert got[0].student.class_name == "7А"


async def test_forecast_for_class_subgroups(data: Data) -> None:
    s = data.s
    diary = data.diary
    english = s.english.id

    async def names(who: Any) -> list[str]:
        rows = await diary.forecast_for_class(data.v(who), s.c7.id, english, s.q2.id)
        return [r.student.short_name for r in rows]

    assert await names(s.english_teacher) == ["Иванов Пётр"]
    assert await names(data.english_teacher2) == ["Петрова Алёна"]
    assert await names(s.class_teacher) == ["Иванов Пётр", "Петрова Алёна"]
    assert await names(s.deputy) == ["Иванов Пётр", "Петрова Алёна"]
    rows = await diary.forecast_for_class(data.v(s.english_teacher), s.c7.id, english, s.q2.id)
    assert rows[0].forecast == Forecast(F(5), None, 2, None, None)


async def test_forecast_for_class_access(data: Data) -> None:
    s = data.s
    diary = data.diary
    args = (s.c7.id, s.maths.id, s.q2.id)
    for who in (s.admin, s.deputy, s.class_teacher, s.teacher):
        assert len(await diary.forecast_for_class(data.v(who), *args)) == 2
    for who in (s.english_teacher, s.other_teacher, s.mother, s.ivanov):
        with pytest.raises(AccessDenied):
            await diary.forecast_for_class(data.v(who), *args)
    with pytest.raises(AccessDenied):
        await diary.forecast_for_class(Viewer(), *args)
    with pytest.raises(PrivateChatRequired):
        await diary.forecast_for_class(data.v(s.teacher, private=False), *args)
    # 10А is taught maths by the same teacher, but the period must be of the class's year
    with pytest.raises(NotFound):
        await diary.forecast_for_class(data.v(s.teacher), s.c7.id, s.maths.id, 99999)


async def test_forecast_for_class_leaves_out_students_not_enrolled_then(data: Data) -> None:
    s = data.s
    s.petrova.left_on = D(2026, 10, 30)  # before the second quarter
    got = await data.diary.forecast_for_class(data.v(s.teacher), s.c7.id, s.maths.id, s.q2.id)
    assert [r.student.id for r in got] == [s.ivanov.id]
    q1 = await data.diary.forecast_for_class(data.v(s.teacher), s.c7.id, s.maths.id, s.q1.id)
    assert [r.student.id for r in q1] == [s.ivanov.id, s.petrova.id]


# --- a student who left --------------------------------------------------------------------


async def test_a_student_who_left_keeps_their_history(data: Data) -> None:
    """Staff read the whole history; the family reads only the final marks, for a year."""
    s = data.s
    s.ivanov.left_on = D(2026, 10, 22)
    diary, staff, mother = data.diary, data.v(s.class_teacher), data.v(s.mother)
    got = await diary.period_marks(staff, s.ivanov.id)
    assert got.period == pv(s.q1)  # the period they were last in, not today's
    assert got.student.left_on == D(2026, 10, 22)
    maths = got.subjects[1]
    assert (maths.subject_name, maths.marks, maths.final) == (
        "Математика",
        (mv(data, "q1"),),
        m.MarkValue.FOUR,
    )
    assert (await diary.attendance(staff, s.ivanov.id)).totals == AbsenceTotals(1, excused=1)
    assert len(await diary.latest_marks(staff, s.ivanov.id)) == 6
    q2 = await diary.period_marks(staff, s.ivanov.id, s.q2.id)
    assert len(q2.subjects[2].marks) == 4

    assert (await diary.final_marks(mother, s.ivanov.id)).subjects[2].year == m.MarkValue.FOUR
    assert await diary.students_of(mother) == [card(s, s.ivanov)]
    for view in (diary.period_marks, diary.attendance, diary.latest_marks):
        with pytest.raises(StudentLeft):
            await view(mother, s.ivanov.id)
    with pytest.raises(StudentLeft):
        await diary.timetable(mother, s.ivanov.id, D(2026, 11, 16), D(2026, 11, 22))


# --- the access matrix ---------------------------------------------------------------------

View = Callable[[DiaryService, Viewer, int], Awaitable[Any]]

VIEWS: dict[str, View] = {
    "period_marks": lambda d, v, sid: d.period_marks(v, sid),
    "latest_marks": lambda d, v, sid: d.latest_marks(v, sid, 50),
    "final_marks": lambda d, v, sid: d.final_marks(v, sid),
    "attendance": lambda d, v, sid: d.attendance(v, sid),
    "homework": lambda d, v, sid: d.homework(v, sid, D(2026, 11, 16), D(2026, 11, 22)),
    "timetable": lambda d, v, sid: d.timetable(v, sid, D(2026, 11, 16), D(2026, 11, 20)),
}


def subjects_in(result: Any) -> set[int]:
    if isinstance(result, PeriodMarks | FinalMarks):
        return {x.subject_id for x in result.subjects}
    if isinstance(result, AttendanceSummary):
        return {x.subject_id for x in result.subjects} | {x.subject_id for x in result.records}
    if isinstance(result, HomeworkList):
        result = result.items
    if isinstance(result, StudentTimetable):
        result = result.days
    if result and isinstance(result[0], DayTimetable):
        return {x.subject_id for day in result for x in day.lessons}
    return {x.subject_id for x in result}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize(
    ("who", "whose", "outcome"),
    [
        ("mother", "ivanov", "all"),
        ("other_parent", "ivanov", AccessDenied),
        ("pending", "ivanov", ConsentRequired),
        ("ivanov", "ivanov", "all"),
        ("petrova", "ivanov", AccessDenied),
        ("teacher", "ivanov", "maths"),
        ("english_teacher", "ivanov", "english"),
        ("english_teacher", "petrova", AccessDenied),  # not in their subgroup
        ("english_teacher2", "petrova", "english"),
        ("other_teacher", "ivanov", AccessDenied),
        ("class_teacher", "ivanov", "all"),
        ("deputy", "ivanov", "all"),
        ("admin", "ivanov", "all"),
        ("anonymous", "ivanov", AccessDenied),
        ("mother@group", "ivanov", PrivateChatRequired),
        ("ivanov@group", "ivanov", PrivateChatRequired),
        ("teacher@group", "ivanov", PrivateChatRequired),
        ("admin@group", "ivanov", PrivateChatRequired),
        ("mother", "nobody", AccessDenied),
        ("admin", "nobody", NotFound),
    ],
)
async def test_access_matrix(data: Data, view: str, who: str, whose: str, outcome: Any) -> None:
    s = data.s
    name, _, chat = who.partition("@")
    people = {**vars(s), **vars(data)}
    if name == "anonymous":
        viewer = Viewer()
    elif name == "pending":
        viewer = Viewer(guardian_id=data.pending.id, children_pending_consent={s.ivanov.id})
    else:
        viewer = data.v(people[name], private=chat != "group")
    student_id = 99999 if whose == "nobody" else people[whose].id
    call = VIEWS[view]
    if not isinstance(outcome, str):
        with pytest.raises(outcome):
            await call(data.diary, viewer, student_id)
        return
    got = subjects_in(await call(data.diary, viewer, student_id))
    everything = subjects_in(await call(data.diary, data.v(s.admin), student_id))
    assert {s.maths.id, s.english.id} <= everything
    expected = {"all": everything, "maths": {s.maths.id}, "english": {s.english.id}}[outcome]
    assert got == expected


# --- a handful of queries per call ---------------------------------------------------------


class _Counting:
    """Wraps a fake repository and counts the queries made through it."""

    def __init__(self, repo: Any, calls: list[str], name: str) -> None:
        self._repo, self._calls, self._name = repo, calls, name

    def __getattr__(self, attr: str) -> Any:
        method = getattr(self._repo, attr)

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls.append(f"{self._name}.{attr}")
            return await method(*args, **kwargs)

        return counted


def counting(data: Data, calls: list[str]) -> Callable[..., Any]:
    from tests.core.fakes import REPOS

    def uow(*, readonly: bool = False) -> Any:
        assert readonly, "the diary only reads"
        unit = data.s.store.uow(readonly=readonly)
        for name in REPOS:
            setattr(unit, name, _Counting(getattr(unit, name), calls, name))
        return unit

    return uow


REFERENCE_QUERIES = 8  # year, school, periods, holidays, bells, subjects, work types, staff
STUDENT_QUERIES = 3  # the student, their subgroups, their class


@pytest.mark.parametrize("view", [*VIEWS, "class_timetable", "forecast_for_class"])
async def test_each_view_makes_a_handful_of_queries(data: Data, view: str) -> None:
    s = data.s
    calls: list[str] = []
    diary = DiaryService(counting(data, calls), s.clock)
    if view == "class_timetable":

        async def call() -> Any:
            day = D(2026, 11, 16)
            return await diary.class_timetable(data.v(s.admin), s.c7.id, day, day + timedelta(6))
    elif view == "forecast_for_class":

        async def call() -> Any:
            return await diary.forecast_for_class(data.v(s.admin), s.c7.id, s.english.id, s.q2.id)
    else:

        async def call() -> Any:
            return await VIEWS[view](diary, data.v(s.mother), s.ivanov.id)

    await call()
    cold = list(calls)
    calls.clear()
    await call()
    per_student = STUDENT_QUERIES if view not in ("class_timetable", "forecast_for_class") else 0
    # Which subjects the class had lessons in this period: kept like the reference.
    taught = cold.count("lessons.count_by_subject") - calls.count("lessons.count_by_subject")
    assert taught == (1 if view == "period_marks" else 0), (cold, calls)
    assert len(calls) == len(cold) - REFERENCE_QUERIES - per_student - taught, (cold, calls)
    assert len(calls) <= (4 if per_student else 7), calls


async def test_reference_data_is_kept_for_the_ttl_only(data: Data) -> None:
    s = data.s
    now = [1000.0]
    diary = DiaryService(
        s.store.uow,
        s.clock,
        Calendars(ttl=60, now=lambda: now[0]),
        StudentCache(ttl=60, now=lambda: now[0]),
    )
    mother = data.v(s.mother)

    async def names() -> list[str]:
        return [x.subject_name for x in (await diary.period_marks(mother, s.ivanov.id)).subjects]

    async def rename(name: str) -> None:
        async with s.store.uow() as uow:
            subject = await uow.subjects.get(data.history.id)
            assert subject is not None
            subject.name = name
            await uow.commit()

    assert await names() == ["Английский язык", "История", "Математика"]
    await rename("Всеобщая история")
    now[0] += 59
    assert await names() == ["Английский язык", "История", "Математика"]
    now[0] += 1
    assert await names() == ["Английский язык", "Всеобщая история", "Математика"]
    # ttl 0: nothing kept
    fresh = DiaryService(s.store.uow, s.clock, Calendars(ttl=0), StudentCache(ttl=0))
    await fresh.period_marks(mother, s.ivanov.id)
    await rename("История")
    got = await fresh.period_marks(mother, s.ivanov.id)
    assert got.subjects[1].subject_name == "История"
    diary.calendars.clear()
    assert await names() == ["Английский язык", "История", "Математика"]
