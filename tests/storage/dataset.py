"""Hand-made data with explicit ids, loadable through any unit of work (SQL or the fake).

Ids are given so the fake's and the database's answers can be compared id for id. Rows are
added in increasing id order, as a real database would number them.
"""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from core import model as m
from core.ports import UnitOfWork

MSK = ZoneInfo("Europe/Moscow")
G, ST = m.PersonRole.GUARDIAN, m.PersonRole.STAFF
D = date  # brevity below


def at(day: int, hour: int = 9, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


# Staff
ANNA, OLEG, MARIA = 50, 51, 52
# Classes: 7Б, 7А, 10А, 1А in 2026/2027 and 7А in 2025/2026
C7B, C7A, C10A, C1A, C7A_OLD = 60, 61, 62, 63, 64
ENG_GROUP, IT_GROUP = 70, 71
# Students
PETROVA, IVANOV, IVANOV_ALEX, SIDOROV, YOLKIN, SENIOR, KOZLOV = 80, 81, 82, 83, 84, 85, 86
MOTHER, FATHER = 90, 91
# Lessons
L_MATHS, L_SUBST, L_ENGLISH, L_LATER, L_10A, L_SWAPPED, L_OLD = 100, 101, 102, 103, 104, 105, 106


async def populate(uow: UnitOfWork) -> None:
    school = await uow.schools.add(m.School("Школа № 1", id=1))
    await uow.schools.add(m.School("Школа № 2", id=2))
    await uow.years.add(m.SchoolYear(1, "2025/2026", D(2025, 9, 1), D(2026, 8, 31), id=9))
    await uow.years.add(m.SchoolYear(1, "2026/2027", D(2026, 9, 1), D(2027, 8, 31), id=10))
    q = m.PeriodKind.QUARTER
    await uow.periods.add_all(
        [
            m.Period(10, q, 3, D(2027, 1, 11), D(2027, 3, 20), id=20),
            m.Period(10, q, 1, D(2026, 9, 1), D(2026, 10, 24), closed_at=at(27, month=10), id=21),
            m.Period(10, q, 2, D(2026, 11, 5), D(2026, 12, 28), id=22),
            m.Period(9, q, 4, D(2026, 3, 30), D(2026, 5, 26), id=23),
        ]
    )
    await uow.holidays.add(m.Holiday(10, "Зимние", D(2026, 12, 29), D(2027, 1, 10), id=24))
    await uow.holidays.add(m.Holiday(10, "Осенние", D(2026, 10, 25), D(2026, 11, 4), id=25))
    await uow.bells.add_all(
        [
            m.Bell(1, 3, time(10, 25), time(11, 10), id=30),
            m.Bell(1, 1, time(8, 30), time(9, 15), id=31),
            m.Bell(1, 2, time(9, 25), time(10, 10), id=32),
            m.Bell(2, 1, time(8, 0), time(8, 45), id=33),
        ]
    )
    await uow.work_types.add(m.WorkType(1, "oral", "У", "Устный ответ", id=40))
    await uow.work_types.add(m.WorkType(1, "test", "КР", "Контрольная", "2", True, id=41))
    await uow.work_types.add(m.WorkType(2, "oral", "У", "Устный ответ", id=42))
    await uow.subjects.add(m.Subject(1, "Математика", "Мат", id=43))
    await uow.subjects.add(m.Subject(1, "Английский язык", id=44))
    await uow.subjects.add(m.Subject(2, "Физика", id=45))
    maths, english = 43, 44

    for sid, last, first, middle in (
        (ANNA, "Смирнова", "Анна", "Петровна"),
        (OLEG, "Кузнецов", "Олег", ""),
        (MARIA, "Попова", "Мария", "Сергеевна"),
    ):
        await uow.staff.add(m.Staff(last, first, middle, id=sid))
    await uow.staff_roles.add(m.StaffRole(ANNA, m.StaffRoleKind.TEACHER, id=53))
    await uow.staff_roles.add(m.StaffRole(MARIA, m.StaffRoleKind.DEPUTY, id=54))
    await uow.staff_roles.add(m.StaffRole(ANNA, m.StaffRoleKind.ADMIN, id=55))

    await uow.classes.add(m.ClassGroup(10, 7, "Б", id=C7B))
    await uow.classes.add(m.ClassGroup(10, 7, "А", class_teacher_id=MARIA, id=C7A))
    await uow.classes.add(m.ClassGroup(10, 10, "А", source_id="ext-10a", id=C10A))
    await uow.classes.add(m.ClassGroup(10, 1, "А", id=C1A))
    await uow.classes.add(m.ClassGroup(9, 7, "А", id=C7A_OLD))
    await uow.subgroups.add(m.Subgroup(C7A, "Английский, гр. 1", english, id=ENG_GROUP))
    await uow.subgroups.add(m.Subgroup(C7A, "Информатика, гр. 2", id=IT_GROUP))
    await uow.subgroups.add(m.Subgroup(C10A, "Английский", english, id=72))

    await uow.teachings.add(m.Teaching(ANNA, maths, C7A, id=73))
    await uow.teachings.add(m.Teaching(ANNA, maths, C10A, id=74))
    await uow.teachings.add(m.Teaching(OLEG, english, C7A, ENG_GROUP, id=75))
    await uow.teachings.add(m.Teaching(ANNA, maths, C7A_OLD, id=76))
    # Олег taught maths in 7Б until the timetable gave it to someone else.
    await uow.teachings.add(m.Teaching(OLEG, maths, C7B, ends_on=D(2026, 11, 10), id=77))

    await uow.students.add_all(
        [
            m.Student("Петрова", "Алёна", C7A, id=PETROVA),
            m.Student("Иванов", "Пётр", C7A, arrived_on=D(2026, 9, 1), id=IVANOV),
            m.Student("Иванов", "Алексей", C7A, left_on=D(2026, 11, 10), id=IVANOV_ALEX),
            m.Student("Сидоров", "Глеб", C7A, arrived_on=D(2026, 11, 20), id=SIDOROV),
            # "Ё" sorts before "А" by codepoint: the fake's order, kept on every database.
            m.Student("Ёлкин", "Ян", C7A, birth_date=D(2013, 2, 3), id=YOLKIN),
            m.Student("Новикова", "Ольга", C10A, source_id="s-85", id=SENIOR),
            # Moved from 7А to 7Б on 16 November.
            m.Student(
                "Козлов",
                "Ян",
                C7B,
                arrived_on=D(2026, 9, 1),
                class_since=D(2026, 11, 16),
                id=KOZLOV,
            ),
        ]
    )
    await uow.class_history.add(
        m.ClassMembership(KOZLOV, C7A, D(2026, 9, 1), D(2026, 11, 15), id=87)
    )
    await uow.subgroups.add_member(m.SubgroupMember(ENG_GROUP, IVANOV))
    await uow.subgroups.add_member(m.SubgroupMember(ENG_GROUP, PETROVA))
    await uow.subgroups.add_member(m.SubgroupMember(IT_GROUP, IVANOV))
    await uow.subgroups.add_member(m.SubgroupMember(IT_GROUP, YOLKIN, starts_on=D(2026, 11, 20)))

    await uow.guardians.add(m.Guardian("Иванова", "Ольга", phone="+79990000000", id=MOTHER))
    await uow.guardians.add(m.Guardian("Петров", "Сергей", email="p@example.org", id=FATHER))
    await uow.guardian_links.add(m.GuardianLink(MOTHER, IVANOV, "mother", at(1), id=92))
    await uow.guardian_links.add(m.GuardianLink(MOTHER, PETROVA, "guardian", id=93))
    await uow.guardian_links.add(m.GuardianLink(FATHER, IVANOV, "father", at(2), id=94))
    # The roster no longer lists Петров as Петрова's guardian.
    await uow.guardian_links.add(
        m.GuardianLink(FATHER, PETROVA, "father", at(2), ended_at=at(5), id=95)
    )

    for tid, cls, wd, slot, subj, who, grp in (
        (95, C7A, 2, 1, maths, ANNA, None),
        (96, C7A, 0, 2, maths, ANNA, None),
        (97, C7A, 0, 1, english, OLEG, ENG_GROUP),
        (98, C10A, 1, 1, maths, ANNA, None),
        (99, C7A_OLD, 0, 1, maths, ANNA, None),
    ):
        await uow.timetable.add(m.TimetableEntry(cls, wd, slot, subj, who, grp, id=tid))

    lessons = [
        m.Lesson(C7A, D(2026, 11, 16), 2, maths, ANNA, topic="Дроби", id=L_MATHS),
        m.Lesson(C7A, D(2026, 11, 16), 1, maths, ANNA, substitute_id=MARIA, id=L_SUBST),
        m.Lesson(C7A, D(2026, 11, 17), 3, english, OLEG, subgroup_id=ENG_GROUP, id=L_ENGLISH),
        m.Lesson(C7A, D(2026, 11, 20), 2, maths, ANNA, id=L_LATER),
        m.Lesson(C10A, D(2026, 11, 16), 3, maths, ANNA, room="31", id=L_10A),
        m.Lesson(
            C7A,
            D(2026, 11, 18),
            1,
            english,
            OLEG,
            substitute_id=ANNA,
            status=m.LessonStatus.CANCELLED,
            id=L_SWAPPED,
        ),
        m.Lesson(C7A_OLD, D(2026, 3, 2), 1, maths, ANNA, id=L_OLD),
    ]
    for lesson in lessons:
        await uow.lessons.add(lesson)

    def hw(hid: int, lesson: int, cls: int, due: date, group: int | None = None) -> m.Homework:
        return m.Homework(
            lesson, cls, maths, D(2026, 11, 16), due, f"№ {hid}", ANNA, at(16, 15), group, id=hid
        )

    await uow.homework.add(hw(110, L_MATHS, C7A, D(2026, 11, 18)))
    await uow.homework.add(hw(111, L_ENGLISH, C7A, D(2026, 11, 18), ENG_GROUP))
    await uow.homework.add(hw(112, L_LATER, C7A, D(2026, 11, 25)))
    await uow.homework.add(hw(113, L_10A, C10A, D(2026, 11, 18)))
    await uow.homework.add(hw(114, L_SUBST, C7A, D(2026, 11, 17)))

    five, four, two = m.MarkValue.FIVE, m.MarkValue.FOUR, m.MarkValue.TWO

    def mark(mid: int, lesson: m.Lesson, student: int, value: m.MarkValue, created: datetime):
        return m.Mark(
            lesson.id, student, lesson.subject_id, lesson.day, value, 40, ANNA, created, id=mid
        )

    by_id = {x.id: x for x in lessons}
    await uow.marks.add(mark(120, by_id[L_MATHS], IVANOV, five, at(16, 10)))
    wrong = await uow.marks.add(mark(121, by_id[L_MATHS], IVANOV, two, at(16, 9)))
    right = await uow.marks.add(mark(122, by_id[L_MATHS], IVANOV, four, at(16, 11)))
    wrong.superseded_at = at(16, 11)
    wrong.superseded_by = right.id
    await uow.marks.add(mark(123, by_id[L_ENGLISH], IVANOV, five, at(17, 8)))
    await uow.marks.add(mark(124, by_id[L_LATER], IVANOV, five, at(20)))
    await uow.marks.add(mark(125, by_id[L_MATHS], PETROVA, m.MarkValue.PASS, at(16, 12)))
    await uow.marks.add(mark(126, by_id[L_SUBST], IVANOV, four, at(16, 8)))
    removed = await uow.marks.add(mark(127, by_id[L_SUBST], PETROVA, two, at(16, 8)))
    removed.superseded_at = at(16, 13)

    absent, late = m.AttendanceKind.ABSENT, m.AttendanceKind.LATE

    def mark_absent(aid: int, lesson: m.Lesson, student: int, kind=absent, **kw):
        return m.AttendanceRecord(
            lesson.id, student, lesson.subject_id, lesson.day, kind, ANNA, at(16, 10), **kw, id=aid
        )

    await uow.attendance.add(
        mark_absent(
            130,
            by_id[L_MATHS],
            IVANOV,
            reason=m.AbsenceReason.SICK,
            reason_set_by=MARIA,
            reason_set_at=at(17),
        )
    )
    await uow.attendance.add(mark_absent(131, by_id[L_ENGLISH], IVANOV, late, minutes_late=5))
    await uow.attendance.add(mark_absent(132, by_id[L_10A], SENIOR, note="справка"))
    await uow.attendance.add(mark_absent(133, by_id[L_SUBST], PETROVA))
    await uow.attendance.add(mark_absent(134, by_id[L_LATER], IVANOV))

    period, year = m.FinalKind.PERIOD, m.FinalKind.YEAR
    await uow.finals.add(m.FinalMark(IVANOV, maths, 10, period, four, ANNA, at(1), 21, id=140))
    await uow.finals.add(
        m.FinalMark(IVANOV, maths, 10, period, two, ANNA, at(1), 21, superseded_at=at(2), id=141)
    )
    await uow.finals.add(m.FinalMark(IVANOV, maths, 9, year, five, ANNA, at(1, month=6), id=142))
    await uow.finals.add(m.FinalMark(PETROVA, maths, 10, period, five, ANNA, at(1), 21, id=143))

    praise, remark = m.RemarkKind.PRAISE, m.RemarkKind.REMARK
    await uow.remarks.add(
        m.Remark(
            L_ENGLISH, IVANOV, english, D(2026, 11, 17), remark, "Без формы", OLEG, at(17), id=150
        )
    )
    await uow.remarks.add(
        m.Remark(L_MATHS, IVANOV, maths, D(2026, 11, 16), praise, "Молодец", ANNA, at(16), id=151)
    )
    await uow.remarks.add(
        m.Remark(L_MATHS, PETROVA, maths, D(2026, 11, 16), praise, "Умница", ANNA, at(16), id=152)
    )

    await uow.audit.add(
        m.AuditEntry(
            at(16, 11), ANNA, "mark.correct", "mark", 121, IVANOV, "2", "4", "опечатка", id=160
        )
    )
    await uow.audit.add(m.AuditEntry(at(16, 12), None, "import", "student", IVANOV, IVANOV, id=161))
    await uow.audit.add(m.AuditEntry(at(16, 13), OLEG, "period.close", "period", 21, id=162))
    # the period marks seen by a guardian: the second quarter (two children), the first
    await uow.final_acks.add(m.FinalAck(MOTHER, PETROVA, 22, at(18), id=1201))
    await uow.final_acks.add(m.FinalAck(MOTHER, IVANOV, 22, at(17), id=1200))
    await uow.final_acks.add(m.FinalAck(MOTHER, IVANOV, 21, at(27, month=10), id=1202))
    # the deputy's remarks on the journals: two open for Anna, one fixed by Maria
    for remark in (
        m.JournalRemark(ANNA, C7A, "Нет темы", D(2026, 11, 20), OLEG, at(16), id=1300),
        m.JournalRemark(ANNA, C7A, "Нет задания", D(2026, 11, 18), OLEG, at(17), id=1301),
        m.JournalRemark(
            MARIA,
            C7A,
            "Поздние отметки",
            D(2026, 11, 19),
            OLEG,
            at(15),
            fixed_at=at(18),
            fixed_by=MARIA,
            id=1302,
        ),
    ):
        await uow.journal_remarks.add(remark)
    # paper diaries printed: two in 7А (by the class teacher, by the scheduler), one in 7Б
    first, last = D(2026, 11, 2), D(2026, 11, 15)
    await uow.printouts.add(m.Printout(C7A, IVANOV, 22, first, last, 1, at(16), ANNA, id=1310))
    await uow.printouts.add(m.Printout(C7A, PETROVA, 22, first, last, 2, at(17), id=1311))
    await uow.printouts.add(m.Printout(C7B, KOZLOV, 22, first, last, 1, at(16), id=1312))

    acc_tg = await uow.accounts.add(m.Account("telegram", "100", at(1), id=170))
    await uow.accounts.add(
        m.Account("max", "100", at(2), locale="en", quiet_from=None, quiet_to=None, id=171)
    )
    await uow.invites.add(
        m.Invite(
            "h1",
            m.PersonRole.GUARDIAN,
            MOTHER,
            at(1),
            at(8),
            ANNA,
            C7A,
            at(1, 12),
            acc_tg.id,
            id=180,
        )
    )
    await uow.invites.add(m.Invite("h2", m.PersonRole.TEACHER, OLEG, at(1), at(8), id=181))
    await uow.account_links.add(m.AccountLink(170, m.PersonRole.GUARDIAN, MOTHER, at(1), id=190))
    await uow.account_links.add(
        m.AccountLink(170, m.PersonRole.STUDENT, IVANOV, at(1), unlinked_at=at(3), id=191)
    )
    await uow.account_links.add(m.AccountLink(171, m.PersonRole.GUARDIAN, MOTHER, at(2), id=192))
    await uow.account_links.add(m.AccountLink(171, m.PersonRole.STAFF, ANNA, at(2), id=193))

    # Notifications: broadcasts, letters and per-recipient deliveries.
    await uow.broadcasts.add(
        m.Broadcast(C7A, MARIA, m.Audience.GUARDIANS, "Собрание в четверг", at(10), id=200)
    )
    await uow.broadcasts.add(
        m.Broadcast(
            C7A,
            MARIA,
            m.Audience.STUDENTS,
            "Экскурсия",
            at(12),
            subgroup_id=ENG_GROUP,
            attachments=[m.Attachment("photo", "p1")],
            author_account_id=171,
            recipients=2,
            not_linked=1,
            id=201,
        )
    )
    await uow.letters.add(
        m.Letter(IVANOV, G, MOTHER, ST, MARIA, "Заболел", at(16), attendance_id=130, id=210)
    )
    await uow.letters.add(
        m.Letter(IVANOV, ST, MARIA, G, MOTHER, "Выздоравливайте", at(16, 10), reply_to=210, id=211)
    )

    def push(rid: int, account: int, kind: str, **kw: object) -> m.Delivery:
        return m.Delivery(account, kind, "{}", at(16), at(16), id=rid, **kw)  # type: ignore[arg-type]

    sent = m.DeliveryStatus.SENT
    await uow.deliveries.add_all(
        [
            push(
                220, 170, "mark", role=G, person_id=MOTHER, student_id=IVANOV, group_key="marks:81"
            ),
            push(221, 170, "broadcast", broadcast_id=200, dedup_key="bc:200:170", status=sent),
            push(
                222, 171, "mark", role=G, person_id=MOTHER, student_id=IVANOV, group_key="marks:81"
            ),
            push(223, 170, "mark", group_key="marks:81", status=sent, sent_at=at(16, 10)),
            push(224, 171, "broadcast", broadcast_id=200, dedup_key="bc:200:171"),
        ]
    )
    assert school.id == 1
