"""A small school in the fake store, with a fixed clock, for core tests.

Monday 2026-11-16 .. the clock stands at Wednesday 2026-11-18 10:00 Moscow time, inside the
second quarter (2026-11-05 .. 2026-12-28); the first quarter is closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core import model as m
from core.access import TeachingRef, Viewer
from core.clock import FixedClock
from tests.core.fakes import FakeStore

TZ = ZoneInfo("Europe/Moscow")
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=TZ)
TODAY = NOW.date()

BELLS = [
    (1, time(8, 30), time(9, 15)),
    (2, time(9, 25), time(10, 10)),
    (3, time(10, 25), time(11, 10)),
    (4, time(11, 25), time(12, 10)),
    (5, time(12, 20), time(13, 5)),
]


@dataclass
class SmallSchool:
    store: FakeStore
    clock: FixedClock
    school: m.School
    year: m.SchoolYear
    q1: m.Period
    q2: m.Period
    oral: m.WorkType
    test: m.WorkType
    homework_wt: m.WorkType
    maths: m.Subject
    english: m.Subject
    reading: m.Subject
    c7: m.ClassGroup
    c1: m.ClassGroup
    c10: m.ClassGroup
    eng_group: m.Subgroup
    teacher: m.Staff  # maths in 7А and 10А, reading in 1А
    english_teacher: m.Staff  # English, 7А subgroup 1 only
    class_teacher: m.Staff  # class teacher of 7А, teaches nothing
    other_teacher: m.Staff  # teaches nothing here
    deputy: m.Staff
    admin: m.Staff
    ivanov: m.Student  # 7А, in the English subgroup
    petrova: m.Student  # 7А
    first_grader: m.Student  # 1А
    senior: m.Student  # 10А
    mother: m.Guardian  # of ivanov, consented
    other_parent: m.Guardian  # of petrova, consented
    lesson_today: m.Lesson  # maths 7А today, slot 2
    lesson_yesterday: m.Lesson
    lesson_tomorrow: m.Lesson
    lesson_1a_today: m.Lesson
    lesson_10a_today: m.Lesson
    english_today: m.Lesson  # subgroup lesson, 7А
    lesson_q1: m.Lesson  # in the closed first quarter

    def viewer(self, who: m.Staff | m.Guardian | m.Student, private: bool = True) -> Viewer:
        """What the account of this person may act as, built from the school's data."""
        if isinstance(who, m.Guardian):
            links = [
                link
                for link in self.store.tables["guardian_links"].values()
                if link.guardian_id == who.id
            ]
            return Viewer(
                guardian_id=who.id,
                guardianships=frozenset((x.student_id, who.id) for x in links),
                children=frozenset(x.student_id for x in links if x.consent_at is not None),
                private_chat=private,
            )
        if isinstance(who, m.Student):
            return Viewer(student_id=who.id, private_chat=private)
        roles = frozenset(
            r.role for r in self.store.tables["staff_roles"].values() if r.staff_id == who.id
        )
        teaches = frozenset(
            TeachingRef(t.subject_id, t.class_id, t.subgroup_id)
            for t in self.store.tables["teachings"].values()
            if t.staff_id == who.id
        )
        ct = frozenset(
            c.id for c in self.store.tables["classes"].values() if c.class_teacher_id == who.id
        )
        return Viewer(
            staff_id=who.id,
            staff_roles=roles,
            teaches=teaches,
            class_teacher_of=ct,
            private_chat=private,
        )


async def build_small_school(store: FakeStore, clock: FixedClock) -> SmallSchool:
    async with store.uow() as uow:
        school = await uow.schools.add(m.School(name="Школа № 1"))
        year = await uow.years.add(
            m.SchoolYear(school.id, "2026/2027", date(2026, 9, 1), date(2027, 8, 31))
        )
        q1 = await uow.periods.add(
            m.Period(
                year.id,
                m.PeriodKind.QUARTER,
                1,
                date(2026, 9, 1),
                date(2026, 10, 24),
                closed_at=datetime(2026, 10, 27, 12, 0, tzinfo=TZ),
            )
        )
        q2 = await uow.periods.add(
            m.Period(year.id, m.PeriodKind.QUARTER, 2, date(2026, 11, 5), date(2026, 12, 28))
        )
        await uow.periods.add(
            m.Period(year.id, m.PeriodKind.QUARTER, 3, date(2027, 1, 11), date(2027, 3, 20))
        )
        await uow.periods.add(
            m.Period(year.id, m.PeriodKind.QUARTER, 4, date(2027, 3, 30), date(2027, 5, 26))
        )
        await uow.holidays.add(
            m.Holiday(year.id, "Осенние каникулы", date(2026, 10, 25), date(2026, 11, 4))
        )
        for slot, start, end in BELLS:
            await uow.bells.add(m.Bell(school.id, slot, start, end))
        oral = await uow.work_types.add(
            m.WorkType(school.id, "oral", "У", "Устный ответ", "1", written=False)
        )
        test = await uow.work_types.add(
            m.WorkType(school.id, "test", "КР", "Контрольная работа", "2", written=True)
        )
        homework_wt = await uow.work_types.add(
            m.WorkType(school.id, "homework", "Д", "Домашняя работа", "0.5", written=True)
        )
        maths = await uow.subjects.add(m.Subject(school.id, "Математика"))
        english = await uow.subjects.add(m.Subject(school.id, "Английский язык"))
        reading = await uow.subjects.add(m.Subject(school.id, "Литературное чтение"))

        teacher = await uow.staff.add(m.Staff("Смирнова", "Анна", "Петровна"))
        english_teacher = await uow.staff.add(m.Staff("Кузнецов", "Олег", "Игоревич"))
        class_teacher = await uow.staff.add(m.Staff("Попова", "Мария", "Сергеевна"))
        other_teacher = await uow.staff.add(m.Staff("Волков", "Иван", "Ильич"))
        deputy = await uow.staff.add(m.Staff("Морозова", "Елена", "Викторовна"))
        admin = await uow.staff.add(m.Staff("Лебедев", "Павел", "Андреевич"))
        for s in (teacher, english_teacher, class_teacher, other_teacher):
            await uow.staff_roles.add(m.StaffRole(s.id, m.StaffRoleKind.TEACHER))
        await uow.staff_roles.add(m.StaffRole(deputy.id, m.StaffRoleKind.DEPUTY))
        await uow.staff_roles.add(m.StaffRole(admin.id, m.StaffRoleKind.ADMIN))

        c7 = await uow.classes.add(m.ClassGroup(year.id, 7, "А", class_teacher_id=class_teacher.id))
        c1 = await uow.classes.add(m.ClassGroup(year.id, 1, "А"))
        c10 = await uow.classes.add(m.ClassGroup(year.id, 10, "А"))
        eng_group = await uow.subgroups.add(m.Subgroup(c7.id, "Английский, гр. 1", english.id))

        await uow.teachings.add(m.Teaching(teacher.id, maths.id, c7.id))
        await uow.teachings.add(m.Teaching(teacher.id, maths.id, c10.id))
        await uow.teachings.add(m.Teaching(teacher.id, reading.id, c1.id))
        await uow.teachings.add(m.Teaching(english_teacher.id, english.id, c7.id, eng_group.id))

        ivanov = await uow.students.add(
            m.Student("Иванов", "Пётр", c7.id, arrived_on=date(2026, 9, 1))
        )
        petrova = await uow.students.add(m.Student("Петрова", "Алёна", c7.id))
        first_grader = await uow.students.add(m.Student("Соколов", "Миша", c1.id))
        senior = await uow.students.add(m.Student("Новикова", "Ольга", c10.id))
        await uow.subgroups.add_member(m.SubgroupMember(eng_group.id, ivanov.id))

        mother = await uow.guardians.add(m.Guardian("Иванова", "Ольга", "Николаевна"))
        other_parent = await uow.guardians.add(m.Guardian("Петров", "Сергей"))
        await uow.guardian_links.add(
            m.GuardianLink(mother.id, ivanov.id, "mother", consent_at=NOW - timedelta(days=30))
        )
        await uow.guardian_links.add(
            m.GuardianLink(other_parent.id, petrova.id, "father", consent_at=NOW)
        )

        def lesson(cls, day, slot, subject, who, subgroup=None):
            return m.Lesson(cls.id, day, slot, subject.id, who.id, subgroup_id=subgroup)

        lesson_today = await uow.lessons.add(lesson(c7, TODAY, 2, maths, teacher))
        lesson_yesterday = await uow.lessons.add(
            lesson(c7, TODAY - timedelta(days=1), 2, maths, teacher)
        )
        lesson_tomorrow = await uow.lessons.add(
            lesson(c7, TODAY + timedelta(days=1), 2, maths, teacher)
        )
        lesson_1a_today = await uow.lessons.add(lesson(c1, TODAY, 1, reading, teacher))
        lesson_10a_today = await uow.lessons.add(lesson(c10, TODAY, 3, maths, teacher))
        english_today = await uow.lessons.add(
            lesson(c7, TODAY, 4, english, english_teacher, eng_group.id)
        )
        lesson_q1 = await uow.lessons.add(lesson(c7, date(2026, 10, 20), 2, maths, teacher))
        await uow.commit()
    return SmallSchool(
        store,
        clock,
        school,
        year,
        q1,
        q2,
        oral,
        test,
        homework_wt,
        maths,
        english,
        reading,
        c7,
        c1,
        c10,
        eng_group,
        teacher,
        english_teacher,
        class_teacher,
        other_teacher,
        deputy,
        admin,
        ivanov,
        petrova,
        first_grader,
        senior,
        mother,
        other_parent,
        lesson_today,
        lesson_yesterday,
        lesson_tomorrow,
        lesson_1a_today,
        lesson_10a_today,
        english_today,
        lesson_q1,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW, TZ)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
async def small(store: FakeStore, clock: FixedClock) -> SmallSchool:
    return await build_small_school(store, clock)
