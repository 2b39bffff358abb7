"""A realistic demo school, written in one unit of work (all or nothing).

Nine classes from 1А to 11А, ~225 students in families (siblings in different classes, one or
two guardians each), a full staff, a conflict-free weekly timetable, the current school year's
quarters around today, and marks, absences, topics and homework up to today; periods already
over are closed with their period marks. Deterministic for a given seed and date.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from fractions import Fraction

from faker import Faker

from core import grading
from core import model as m
from core.access import SYSTEM
from core.clock import Clock
from core.errors import ValidationFailed
from core.invites import InviteService
from core.ports import UnitOfWork, UnitOfWorkFactory
from storage import demo_data as d

SCHOOL_NAME = "МБОУ «Средняя общеобразовательная школа № 17»"
PRIMARY_TEACHER_SUBJECTS = {
    "Русский язык",
    "Литературное чтение",
    "Математика",
    "Окружающий мир",
    "Изобразительное искусство",
    "Труд (технология)",
}
MAX_TEACHER_HOURS = 26
GENERIC_TOPICS = [
    "Вводный урок",
    "Основные понятия",
    "Практикум",
    "Решение задач",
    "Обобщение и систематизация",
    "Проверочная работа",
    "Работа над ошибками",
]


@dataclass
class DemoSummary:
    classes: int = 0
    students: int = 0
    guardians: int = 0
    staff: int = 0
    lessons: int = 0
    marks: int = 0
    absences: int = 0
    homework: int = 0
    finals: int = 0
    invites: dict[str, dict] = field(default_factory=dict)


def year_bounds(today: date) -> tuple[int, date, date]:
    start_year = today.year if today.month >= 8 else today.year - 1
    return start_year, date(start_year, 9, 1), date(start_year + 1, 8, 31)


def quarters(y: int) -> list[tuple[date, date]]:
    return [
        (date(y, 9, 1), date(y, 10, 24)),
        (date(y, 11, 5), date(y, 12, 28)),
        (date(y + 1, 1, 12), date(y + 1, 3, 21)),
        (date(y + 1, 3, 30), date(y + 1, 5, 26)),
    ]


def holidays(y: int) -> list[tuple[str, date, date]]:
    return [
        ("Осенние каникулы", date(y, 10, 25), date(y, 11, 4)),
        ("Зимние каникулы", date(y, 12, 29), date(y + 1, 1, 11)),
        ("День защитника Отечества", date(y + 1, 2, 23), date(y + 1, 2, 23)),
        ("Международный женский день", date(y + 1, 3, 9), date(y + 1, 3, 9)),
        ("Весенние каникулы", date(y + 1, 3, 22), date(y + 1, 3, 29)),
        ("Праздник Весны и Труда", date(y + 1, 5, 1), date(y + 1, 5, 1)),
        ("День Победы", date(y + 1, 5, 11), date(y + 1, 5, 11)),
    ]


class _Builder:
    def __init__(
        self, uow: UnitOfWork, clock: Clock, seed: int, classes: list[tuple[int, str]]
    ) -> None:
        self.class_names = classes
        self.uow = uow
        self.clock = clock
        self.now = clock.now()
        self.today = self.now.date()
        self.rng = random.Random(seed)
        self.fake = Faker("ru_RU")
        self.fake.seed_instance(seed)
        self.summary = DemoSummary()

    # -- people -------------------------------------------------------------------------------
    def _patronymic(self, female: bool) -> str:
        _, male, fem = self.rng.choice(d.MALE_NAMES)
        return fem if female else male

    def _staff_person(self) -> m.Staff:
        female = self.rng.random() < 0.8
        surname = self.fake.last_name_male()
        return m.Staff(
            last_name=d.female_surname(surname) if female else surname,
            first_name=self.rng.choice(d.WOMEN_NAMES)
            if female
            else self.rng.choice(d.MALE_NAMES)[0],
            middle_name=self._patronymic(female),
        )

    # -- the school ----------------------------------------------------------------------------
    async def school(self) -> None:
        uow = self.uow
        self.school_row = await uow.schools.add(
            m.School(name=SCHOOL_NAME, timezone=str(self.clock.tz))
        )
        sid = self.school_row.id
        self.work_types = {
            code: await uow.work_types.add(m.WorkType(sid, code, short, name, weight, written))
            for code, short, name, weight, written in d.WORK_TYPES
        }
        self.bells = {
            slot: await uow.bells.add(m.Bell(sid, slot, start, end)) for slot, start, end in d.BELLS
        }
        y, starts, ends = year_bounds(self.today)
        self.year = await uow.years.add(m.SchoolYear(sid, f"{y}/{y + 1}", starts, ends))
        self.periods: list[m.Period] = []
        for number, (p_start, p_end) in enumerate(quarters(y), start=1):
            self.periods.append(
                await uow.periods.add(
                    m.Period(self.year.id, m.PeriodKind.QUARTER, number, p_start, p_end)
                )
            )
        self.holiday_days: set[date] = set()
        for name, h_start, h_end in holidays(y):
            await uow.holidays.add(m.Holiday(self.year.id, name, h_start, h_end))
            day = h_start
            while day <= h_end:
                self.holiday_days.add(day)
                day += timedelta(days=1)
        names = sorted({s for grade, _ in self.class_names for s, _ in d.curriculum_for(grade)})
        self.subjects = {
            name: await uow.subjects.add(m.Subject(sid, name, d.SHORT_NAMES.get(name, "")))
            for name in names
        }

    async def staff(self) -> None:
        uow = self.uow
        self.admin = await uow.staff.add(self._staff_person())
        self.director = await uow.staff.add(self._staff_person())
        self.deputy = await uow.staff.add(self._staff_person())
        await uow.staff_roles.add(m.StaffRole(self.admin.id, m.StaffRoleKind.ADMIN))
        await uow.staff_roles.add(m.StaffRole(self.director.id, m.StaffRoleKind.DIRECTOR))
        await uow.staff_roles.add(m.StaffRole(self.deputy.id, m.StaffRoleKind.DEPUTY))
        self.teachers_by_subject: dict[str, list[m.Staff]] = defaultdict(list)
        self.load: dict[int, int] = defaultdict(int)
        self.rooms: dict[int, str] = {}
        self.all_teachers: list[m.Staff] = []

    async def _new_teacher(self, subject: str | None) -> m.Staff:
        teacher = await self.uow.staff.add(self._staff_person())
        await self.uow.staff_roles.add(m.StaffRole(teacher.id, m.StaffRoleKind.TEACHER))
        self.all_teachers.append(teacher)
        if subject:
            self.teachers_by_subject[subject].append(teacher)
        self.rooms[teacher.id] = (
            "Спортзал" if subject == "Физическая культура" else str(201 + len(self.rooms))
        )
        return teacher

    async def _teacher_for(self, subject: str, hours: int, avoid: int | None = None) -> m.Staff:
        pool = [
            t
            for t in self.teachers_by_subject[subject]
            if t.id != avoid and self.load[t.id] + hours <= MAX_TEACHER_HOURS
        ]
        teacher = min(pool, key=lambda t: self.load[t.id]) if pool else None
        if teacher is None:
            teacher = await self._new_teacher(subject)
        self.load[teacher.id] += hours
        return teacher

    async def classes(self) -> None:
        """Classes, their teachings (with subgroups for split subjects) and class teachers."""
        uow = self.uow
        self.class_rows: list[m.ClassGroup] = []
        # (class_id, subject) -> [(teacher, subgroup or None)]
        self.assignments: dict[tuple[int, str], list[tuple[m.Staff, m.Subgroup | None]]] = {}
        for grade, letter in self.class_names:
            cls = await uow.classes.add(m.ClassGroup(self.year.id, grade, letter))
            self.class_rows.append(cls)
            primary_teacher = await self._new_teacher(None) if grade <= 4 else None
            if primary_teacher:
                self.rooms[primary_teacher.id] = str(101 + len(self.class_rows))
            for subject, hours in d.curriculum_for(grade):
                subj = self.subjects[subject]
                if primary_teacher and subject in PRIMARY_TEACHER_SUBJECTS:
                    pairs = [(primary_teacher, None)]
                    self.load[primary_teacher.id] += hours
                elif subject in d.SPLIT_SUBJECTS and grade >= 3:
                    pairs = []
                    first_id = None
                    for n in (1, 2):
                        group = await uow.subgroups.add(
                            m.Subgroup(cls.id, f"{subject}, гр. {n}", subj.id)
                        )
                        teacher = await self._teacher_for(subject, hours, avoid=first_id)
                        first_id = teacher.id
                        pairs.append((teacher, group))
                else:
                    pairs = [(await self._teacher_for(subject, hours), None)]
                self.assignments[(cls.id, subject)] = pairs
                for teacher, group in pairs:
                    await uow.teachings.add(
                        m.Teaching(teacher.id, subj.id, cls.id, group.id if group else None)
                    )
            if primary_teacher:
                cls.class_teacher_id = primary_teacher.id
        taken: set[int] = set()
        for cls in self.class_rows:
            if cls.class_teacher_id is not None:
                taken.add(cls.class_teacher_id)
                continue
            hours_by_teacher: dict[int, int] = defaultdict(int)
            for subject, hours in d.curriculum_for(cls.grade):
                for teacher, _ in self.assignments[(cls.id, subject)]:
                    hours_by_teacher[teacher.id] += hours
            candidates = sorted(hours_by_teacher, key=lambda t: -hours_by_teacher[t])
            chosen = next((t for t in candidates if t not in taken), candidates[0])
            cls.class_teacher_id = chosen
            taken.add(chosen)
        self.summary.classes = len(self.class_rows)

    async def families(self) -> None:
        """Students in families: siblings in different classes, one or two guardians each."""
        uow, rng = self.uow, self.rng
        y = self.year.starts_on.year
        capacity = {c.id: (24 if c.grade == 1 else rng.randint(22, 27)) for c in self.class_rows}
        by_id = {c.id: c for c in self.class_rows}
        self.students: list[m.Student] = []
        self.guardian_rows: list[m.Guardian] = []
        self.families_list: list[tuple[list[m.Guardian], list[m.Student]]] = []
        while any(capacity.values()):
            kids = rng.choices((1, 2, 3), weights=(78, 18, 4))[0]
            open_classes = [cid for cid, left in capacity.items() if left > 0]
            chosen = rng.sample(open_classes, min(kids, len(open_classes)))
            surname = self.fake.last_name_male()
            father_name, pat_m, pat_f = rng.choice(d.MALE_NAMES)
            children = []
            for cid in chosen:
                capacity[cid] -= 1
                girl = rng.random() < 0.5
                grade = by_id[cid].grade
                birth = date(y - grade - 6, 1, 1) + timedelta(days=rng.randint(240, 600))
                children.append(
                    m.Student(
                        last_name=d.female_surname(surname) if girl else surname,
                        first_name=rng.choice(d.GIRL_NAMES if girl else d.BOY_NAMES),
                        class_id=cid,
                        middle_name=pat_f if girl else pat_m,
                        birth_date=birth,
                        arrived_on=self.year.starts_on,
                    )
                )
            guardians = [
                m.Guardian(
                    d.female_surname(surname),
                    rng.choice(d.WOMEN_NAMES),
                    self._patronymic(True),
                    phone=self.fake.phone_number(),
                    email=self.fake.free_email(),
                )
            ]
            if rng.random() < 0.6:
                guardians.append(
                    m.Guardian(
                        surname,
                        father_name,
                        self._patronymic(False),
                        phone=self.fake.phone_number(),
                    )
                )
            self.families_list.append((guardians, children))
            self.students.extend(children)
            self.guardian_rows.extend(guardians)
        await uow.students.add_all(self.students)
        await uow.guardians.add_all(self.guardian_rows)
        links = []
        for guardians, children in self.families_list:
            for guardian, relation in zip(guardians, ("mother", "father"), strict=False):
                links.extend(m.GuardianLink(guardian.id, c.id, relation) for c in children)
        await uow.guardian_links.add_all(links)
        # Movement during the year: one arrived late, two have left (their history stays).
        movers = rng.sample([s for s in self.students if by_id[s.class_id].grade > 1], 3)
        movers[0].arrived_on = self.year.starts_on + timedelta(days=21)
        for s in movers[1:]:
            s.left_on = min(self.today, self.year.starts_on + timedelta(days=rng.randint(30, 60)))
        self.by_class: dict[int, list[m.Student]] = defaultdict(list)
        for s in self.students:
            self.by_class[s.class_id].append(s)
        self.members: dict[int, list[m.Student]] = {}
        for (cid, _subject), pairs in self.assignments.items():
            groups = [g for _, g in pairs if g is not None]
            if not groups:
                continue
            ordered = sorted(self.by_class[cid], key=lambda s: (s.last_name, s.first_name))
            half = (len(ordered) + 1) // 2
            for group, part in zip(groups, (ordered[:half], ordered[half:]), strict=True):
                self.members[group.id] = part
                for s in part:
                    await uow.subgroups.add_member(m.SubgroupMember(group.id, s.id))
        self.summary.students = len(self.students)
        self.summary.guardians = len(self.guardian_rows)

    async def timetable(self) -> None:
        """A weekly timetable with no teacher in two places at once."""
        busy: set[tuple[int, int, int]] = set()  # (teacher, weekday, slot)
        entries = []
        for cls in self.class_rows:
            units = []
            for subject, hours in d.curriculum_for(cls.grade):
                units.extend([subject] * hours)
            per_day = -(-len(units) // 5)
            remaining = defaultdict(int)
            for u in units:
                remaining[u] += 1
            for slot in range(1, per_day + 1):
                for weekday in range(5):
                    if not remaining:
                        break
                    today_subjects = [
                        e.subject_id
                        for e in entries
                        if e.class_id == cls.id and e.weekday == weekday
                    ]
                    options = sorted(remaining, key=lambda s: -remaining[s])
                    for subject in options:
                        pairs = self.assignments[(cls.id, subject)]
                        subj = self.subjects[subject]
                        if today_subjects.count(subj.id) >= (2 if remaining[subject] > 5 else 1):
                            continue
                        if any((t.id, weekday, slot) in busy for t, _ in pairs):
                            continue
                        for teacher, group in pairs:
                            busy.add((teacher.id, weekday, slot))
                            entries.append(
                                m.TimetableEntry(
                                    cls.id,
                                    weekday,
                                    slot,
                                    subj.id,
                                    teacher.id,
                                    group.id if group else None,
                                    self.rooms[teacher.id],
                                )
                            )
                        remaining[subject] -= 1
                        if not remaining[subject]:
                            del remaining[subject]
                        break
        await self.uow.timetable.add_all(entries)
        self.entries = entries

    # -- the journal up to today -----------------------------------------------------------
    def _school_days(self, until: date) -> list[date]:
        days = []
        for period in self.periods:
            day = period.starts_on
            while day <= min(period.ends_on, until):
                if day.weekday() < 5 and day not in self.holiday_days:
                    days.append(day)
                day += timedelta(days=1)
        return days

    def _at(self, day: date, moment: time) -> datetime:
        return datetime.combine(day, moment, tzinfo=self.clock.tz)

    async def lessons(self) -> None:
        rng = self.rng
        by_weekday = defaultdict(list)
        for e in self.entries:
            by_weekday[e.weekday].append(e)
        lessons = []
        for day in self._school_days(self.today + timedelta(days=14)):
            for e in by_weekday[day.weekday()]:
                lesson = m.Lesson(
                    e.class_id, day, e.slot, e.subject_id, e.teacher_id, e.subgroup_id, room=e.room
                )
                roll = rng.random()
                if roll < 0.015:
                    others = [t for t in self.all_teachers if t.id != e.teacher_id]
                    lesson.substitute_id = rng.choice(others).id
                elif roll < 0.02:
                    lesson.status = m.LessonStatus.CANCELLED
                lessons.append(lesson)
        await self.uow.lessons.add_all(lessons)
        self.lesson_rows = lessons
        self.summary.lessons = len(lessons)

    def _ended(self, lesson: m.Lesson) -> bool:
        return self._at(lesson.day, self.bells[lesson.slot].ends_at) <= self.now

    async def journal(self) -> None:
        """Topics, homework, attendance, marks and remarks for lessons already given."""
        rng, tz = self.rng, self.clock.tz
        grade_of = {c.id: c.grade for c in self.class_rows}
        subject_name = {s.id: name for name, s in self.subjects.items()}
        ability = {s.id: rng.uniform(2.7, 4.9) for s in self.students}
        # Sick spells: a few school days off with a doctor's note.
        sick: set[tuple[int, date]] = set()
        days = self._school_days(self.today)
        for s in self.students:
            for _ in range(rng.choices((0, 1, 2), weights=(55, 35, 10))[0]):
                start = rng.randrange(len(days))
                for day in days[start : start + rng.randint(2, 5)]:
                    sick.add((s.id, day))
        sequences: dict[tuple, list[m.Lesson]] = defaultdict(list)
        for lesson in self.lesson_rows:
            sequences[(lesson.class_id, lesson.subject_id, lesson.subgroup_id)].append(lesson)
        next_lesson: dict[int, date] = {}
        for seq in sequences.values():
            seq.sort(key=lambda x: (x.day, x.slot))
            for a, b in itertools.pairwise(seq):
                next_lesson[a.id] = b.day
        last_slot: dict[tuple[int, date], int] = {}
        for lesson in self.lesson_rows:
            key = (lesson.class_id, lesson.day)
            last_slot[key] = max(last_slot.get(key, 0), lesson.slot)
        wt = self.work_types
        homework, marks, attendance, remarks = [], [], [], []
        recent = self.today - timedelta(days=2)
        for seq_key, seq in sequences.items():
            class_id, subject_id, subgroup_id = seq_key
            grade = grade_of[class_id]
            roster = self.members[subgroup_id] if subgroup_id else self.by_class[class_id]
            topics = d.TOPICS.get(subject_name[subject_id], GENERIC_TOPICS)
            for n, lesson in enumerate(seq):
                if lesson.status == m.LessonStatus.CANCELLED:
                    continue
                if lesson.day > self.today:
                    if lesson.day <= self.today + timedelta(days=7) and rng.random() < 0.5:
                        lesson.topic = topics[(n // 3) % len(topics)]
                    continue
                if not self._ended(lesson):
                    continue
                lesson.topic = topics[(n // 3) % len(topics)]
                end = self._at(lesson.day, self.bells[lesson.slot].ends_at)
                present = []
                for s in roster:
                    if not s.enrolled_on(lesson.day):
                        continue
                    if (s.id, lesson.day) in sick:
                        reason = None if lesson.day >= recent else m.AbsenceReason.SICK
                        kind = m.AttendanceKind.ABSENT
                    else:
                        r = rng.random()
                        if r < 0.006:
                            kind = m.AttendanceKind.ABSENT
                            reason = (
                                None
                                if lesson.day >= recent
                                else rng.choice(
                                    (m.AbsenceReason.UNEXCUSED, m.AbsenceReason.EXCUSED)
                                )
                            )
                        elif r < 0.013:
                            kind, reason = m.AttendanceKind.LATE, None
                        else:
                            present.append(s)
                            continue
                        if kind == m.AttendanceKind.LATE:
                            present.append(s)
                    attendance.append(
                        m.AttendanceRecord(
                            lesson.id,
                            s.id,
                            subject_id,
                            lesson.day,
                            kind,
                            lesson.conducted_by,
                            end - timedelta(minutes=40),
                            reason=reason,
                            reason_set_by=self.class_teacher_of(class_id) if reason else None,
                            reason_set_at=end + timedelta(days=1) if reason else None,
                            minutes_late=rng.randint(3, 15)
                            if kind == m.AttendanceKind.LATE
                            else None,
                        )
                    )
                if grade == 1:
                    continue
                last_end = self.bells[last_slot[(class_id, lesson.day)]].ends_at
                if rng.random() < 0.8:
                    pattern = rng.choice(d.HOMEWORK_PATTERNS)
                    page = rng.randint(10, 180)
                    q = rng.randint(1, 6)
                    text = pattern.format(
                        p=n // 2 + 1,
                        q=q,
                        q2=q + 3,
                        n=rng.randint(100, 900),
                        m=rng.randint(100, 900),
                        page=page,
                        page2=page + 4,
                    )
                    homework.append(
                        m.Homework(
                            lesson.id,
                            class_id,
                            subject_id,
                            lesson.day,
                            next_lesson.get(lesson.id, lesson.day + timedelta(days=1)),
                            text,
                            lesson.conducted_by,
                            self._at(lesson.day, last_end) + timedelta(minutes=rng.randint(5, 110)),
                            subgroup_id=subgroup_id,
                        )
                    )
                if n % 8 == 7:
                    work, graded = wt["test"], present
                elif n % 6 == 3:
                    work, graded = wt["independent"], present
                else:
                    work = wt["oral"] if rng.random() < 0.8 else wt["homework"]
                    graded = rng.sample(present, min(len(present), rng.randint(2, 5)))
                delay = timedelta(days=rng.randint(0, 3)) if work.written else timedelta(minutes=5)
                created = min(end + delay, self.now)
                for s in graded:
                    value = max(2, min(5, round(rng.gauss(ability[s.id], 0.8))))
                    marks.append(
                        m.Mark(
                            lesson.id,
                            s.id,
                            subject_id,
                            lesson.day,
                            m.MarkValue(str(value)),
                            work.id,
                            lesson.conducted_by,
                            created,
                        )
                    )
                if present and rng.random() < 0.03:
                    s = rng.choice(present)
                    kind = rng.choice((m.RemarkKind.PRAISE, m.RemarkKind.REMARK))
                    text = (
                        "Активно работал(а) на уроке, помогал(а) одноклассникам"
                        if kind == m.RemarkKind.PRAISE
                        else "Не выполнил(а) домашнее задание"
                    )
                    remarks.append(
                        m.Remark(
                            lesson.id,
                            s.id,
                            subject_id,
                            lesson.day,
                            kind,
                            text,
                            lesson.conducted_by,
                            end,
                        )
                    )
        await self.uow.homework.add_all(homework)
        await self.uow.attendance.add_all(attendance)
        await self.uow.marks.add_all(marks)
        await self.uow.remarks.add_all(remarks)
        self.marks = marks
        self.summary.homework = len(homework)
        self.summary.absences = sum(a.kind == m.AttendanceKind.ABSENT for a in attendance)
        self.summary.marks = len(marks)
        _ = tz

    def class_teacher_of(self, class_id: int) -> int | None:
        return next(c.class_teacher_id for c in self.class_rows if c.id == class_id)

    async def corrections(self) -> None:
        """A few audited corrections, so the history is not empty."""
        recent = [mk for mk in self.marks if (self.today - mk.day).days <= 5]
        for old in self.rng.sample(recent, min(4, len(recent))):
            at = min(old.created_at + timedelta(hours=3), self.now)
            new_value = m.MarkValue(str(min(5, (old.value.points or 3) + 1)))
            new = await self.uow.marks.add(
                m.Mark(
                    old.lesson_id,
                    old.student_id,
                    old.subject_id,
                    old.day,
                    new_value,
                    old.work_type_id,
                    old.author_id,
                    at,
                    comment="исправлено",
                )
            )
            old.superseded_at = at
            old.superseded_by = new.id
            await self.uow.audit.add(
                m.AuditEntry(
                    at,
                    old.author_id,
                    "mark.correct",
                    "mark",
                    old.id,
                    old.student_id,
                    before=old.value.value,
                    after=new_value.value,
                    reason="Ошибка при вводе отметки",
                )
            )

    async def close_finished_periods(self) -> None:
        """Periods past their grace days are closed, with every period mark set."""
        school = self.school_row
        threshold = Fraction(school.rounding_threshold)
        weights = {w.id: Fraction(w.weight) for w in self.work_types.values()}
        finals = []
        for period in self.periods:
            if period.ends_on + timedelta(days=school.final_window_grace_days) >= self.today:
                continue
            set_at = self._at(period.ends_on, time(16, 0))
            scored: dict[tuple[int, int], list[grading.Scored]] = defaultdict(list)
            for mk in self.marks:
                if period.contains(mk.day) and mk.current and mk.value.points:
                    scored[(mk.student_id, mk.subject_id)].append(
                        grading.Scored(mk.value.points, weights[mk.work_type_id])
                    )
            for cls in self.class_rows:
                if cls.grade == 1:
                    continue
                for subject, _ in d.curriculum_for(cls.grade):
                    subj = self.subjects[subject]
                    for teacher, group in self.assignments[(cls.id, subject)]:
                        roster = self.members[group.id] if group else self.by_class[cls.id]
                        for s in roster:
                            if not s.enrolled_on(period.ends_on):
                                continue
                            fc = grading.forecast(
                                scored[(s.id, subj.id)], threshold, school.min_marks_for_period
                            )
                            value = (
                                m.MarkValue(str(fc.mark)) if fc.mark else m.MarkValue.NOT_ASSESSED
                            )
                            finals.append(
                                m.FinalMark(
                                    s.id,
                                    subj.id,
                                    self.year.id,
                                    m.FinalKind.PERIOD,
                                    value,
                                    teacher.id,
                                    set_at,
                                    period_id=period.id,
                                )
                            )
            period.closed_at = set_at + timedelta(days=3)
            await self.uow.audit.add(
                m.AuditEntry(period.closed_at, self.admin.id, "period.close", "period", period.id)
            )
        await self.uow.finals.add_all(finals)
        self.summary.finals = len(finals)

    async def invites(self, clock: Clock) -> dict[str, dict]:
        """One code per role, for trying the bot: a parent of two, their child, and staff."""
        uow = self.uow
        service = InviteService(lambda readonly=False: uow, clock)  # type: ignore[arg-type, misc]
        class_by_id = {c.id: c for c in self.class_rows}
        # A parent of two where there is one (a one-class school may have none).
        with_two = [f for f in self.families_list if len(f[1]) >= 2]
        families = sorted(
            with_two or self.families_list,
            key=lambda f: -min(class_by_id[c.class_id].grade for c in f[1]),
        )
        guardians, children = families[0]
        guardian = guardians[0]
        child = max(children, key=lambda c: class_by_id[c.class_id].grade)
        cls = class_by_id[child.class_id]
        class_teacher = await uow.staff.get(cls.class_teacher_id)
        teacher_ids = [t.staff_id for t in await uow.teachings.for_class(cls.id)]
        teacher = await uow.staff.get(next(t for t in teacher_ids if t != cls.class_teacher_id))

        async def issue(role: m.PersonRole, pid: int) -> str:
            issued = await service.issue_in(uow, SYSTEM, role, pid)
            return issued.code

        return {
            "guardian": {
                "name": guardian.full_name,
                "id": guardian.id,
                "code": await issue(m.PersonRole.GUARDIAN, guardian.id),
                "children": [c.full_name for c in children],
            },
            "student": {
                "name": child.full_name,
                "id": child.id,
                "code": await issue(m.PersonRole.STUDENT, child.id),
                "class": cls.name,
            },
            "teacher": {
                "name": teacher.full_name,
                "id": teacher.id,
                "code": await issue(m.PersonRole.TEACHER, teacher.id),
            },
            "class_teacher": {
                "name": class_teacher.full_name,
                "id": class_teacher.id,
                "code": await issue(m.PersonRole.CLASS_TEACHER, class_teacher.id),
                "class": cls.name,
            },
            "deputy": {
                "name": self.deputy.full_name,
                "id": self.deputy.id,
                "code": await issue(m.PersonRole.DEPUTY, self.deputy.id),
            },
            "admin": {
                "name": self.admin.full_name,
                "id": self.admin.id,
                "code": await issue(m.PersonRole.ADMIN, self.admin.id),
            },
        }


async def load_demo(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    seed: int = 2026,
    with_invites: bool = False,
    classes: list[tuple[int, str]] | None = None,
) -> DemoSummary:
    """Load the demo school in one transaction; refuses a database that already has a school.

    ``classes`` makes a bigger school (benchmarks): e.g. every grade with letters А to Г."""
    async with uow_factory() as uow:
        if await uow.schools.first() is not None:
            raise ValidationFailed("database", "not_empty")
        b = _Builder(uow, clock, seed, classes or d.CLASSES)
        await b.school()
        await b.staff()
        await b.classes()
        await b.families()
        await b.timetable()
        await b.lessons()
        await b.journal()
        await b.corrections()
        await b.close_finished_periods()
        b.summary.staff = 3 + len(b.all_teachers)
        if with_invites:
            b.summary.invites = await b.invites(clock)
        await uow.commit()
        return b.summary
