"""The access policy (core/access.py) on hand-made viewers."""

from __future__ import annotations

from datetime import date

import pytest

from core import access
from core.access import SYSTEM, TeachingRef, Viewer
from core.errors import AccessDenied, ConsentRequired, PrivateChatRequired, StudentLeft
from core.model import Lesson, LessonOrigin, StaffRoleKind, Student

MATHS, ENGLISH = 1, 2
C7, C8 = 10, 11
GROUP = 20
STUDENT = Student("Иванов", "Пётр", C7, id=100)
OTHER = Student("Петрова", "Алёна", C7, id=101)
LESSON = Lesson(C7, date(2026, 11, 18), 2, MATHS, teacher_id=5, id=1)

TEACHER = Viewer(staff_id=5, teaches=frozenset({TeachingRef(MATHS, C7)}))
GROUP_TEACHER = Viewer(staff_id=6, teaches=frozenset({TeachingRef(ENGLISH, C7, GROUP)}))
CLASS_TEACHER = Viewer(staff_id=7, class_teacher_of=frozenset({C7}))
OTHER_TEACHER = Viewer(staff_id=8, teaches=frozenset({TeachingRef(MATHS, C8)}))
DEPUTY = Viewer(staff_id=9, staff_roles=frozenset({StaffRoleKind.DEPUTY}))
DIRECTOR = Viewer(staff_id=10, staff_roles=frozenset({StaffRoleKind.DIRECTOR}))
ADMIN = Viewer(staff_id=11, staff_roles=frozenset({StaffRoleKind.ADMIN}))
PARENT = Viewer(guardian_id=1, children=frozenset({STUDENT.id}))
PENDING = Viewer(guardian_id=2, children_pending_consent=frozenset({STUDENT.id}))
PUPIL = Viewer(student_id=STUDENT.id)
ANON = Viewer()


def test_viewer_properties():
    assert ANON.is_anonymous and not SYSTEM.is_anonymous and not PARENT.is_anonymous
    assert TEACHER.is_staff and not PARENT.is_staff
    assert {v.administers for v in (DEPUTY, DIRECTOR, ADMIN, SYSTEM)} == {True}
    assert not TEACHER.administers and not CLASS_TEACHER.administers
    assert ADMIN.is_admin and SYSTEM.is_admin and not DEPUTY.is_admin
    assert DEPUTY.corrects_any and ADMIN.corrects_any and not DIRECTOR.corrects_any


def test_private_chat_required():
    access.require_private(TEACHER)
    access.require_private(Viewer(system=True, private_chat=False))
    with pytest.raises(PrivateChatRequired):
        access.require_private(Viewer(staff_id=5, private_chat=False))


@pytest.mark.parametrize("viewer", [SYSTEM, DEPUTY, DIRECTOR, ADMIN, CLASS_TEACHER, PARENT, PUPIL])
def test_everything_of_a_student(viewer):
    assert access.student_subjects(viewer, STUDENT.id, C7, frozenset()) is None


def test_subject_teacher_sees_their_subjects_only():
    assert access.student_subjects(TEACHER, STUDENT.id, C7, frozenset()) == {MATHS}
    assert access.student_subjects(GROUP_TEACHER, STUDENT.id, C7, frozenset({GROUP})) == {ENGLISH}
    with pytest.raises(AccessDenied):
        access.student_subjects(GROUP_TEACHER, OTHER.id, C7, frozenset())


@pytest.mark.parametrize("viewer", [OTHER_TEACHER, ANON, Viewer(guardian_id=3)])
def test_strangers_see_no_student(viewer):
    with pytest.raises(AccessDenied):
        access.student_subjects(viewer, STUDENT.id, C7, frozenset())


def test_a_child_and_a_pupil_are_not_their_siblings():
    with pytest.raises(AccessDenied):
        access.student_subjects(PARENT, OTHER.id, C7, frozenset())
    with pytest.raises(AccessDenied):
        access.student_subjects(PUPIL, OTHER.id, C7, frozenset())


def test_guardian_without_consent_sees_nothing():
    with pytest.raises(ConsentRequired):
        access.student_subjects(PENDING, STUDENT.id, C7, frozenset())


def test_no_student_data_in_a_group_chat():
    with pytest.raises(PrivateChatRequired):
        in_a_group = Viewer(guardian_id=1, children=frozenset({100}), private_chat=False)
        access.student_subjects(in_a_group, STUDENT.id, C7, frozenset())


def test_read_class():
    for viewer in (TEACHER, GROUP_TEACHER, CLASS_TEACHER, DEPUTY, SYSTEM):
        access.require_read_class(viewer, C7)
    for viewer in (OTHER_TEACHER, PARENT, PUPIL, ANON):
        with pytest.raises(AccessDenied):
            access.require_read_class(viewer, C7)


def test_read_contacts():
    for viewer in (CLASS_TEACHER, DIRECTOR, ADMIN):
        access.require_read_contacts(viewer, C7)
    for viewer in (TEACHER, PARENT):
        with pytest.raises(AccessDenied):
            access.require_read_contacts(viewer, C7)


def test_conducts():
    access.require_conducts(TEACHER, LESSON)
    access.require_conducts(SYSTEM, LESSON)
    for viewer in (CLASS_TEACHER, DEPUTY, ADMIN, PARENT, ANON):
        with pytest.raises(AccessDenied):
            access.require_conducts(viewer, LESSON)
    substituted = Lesson(C7, LESSON.day, 2, MATHS, teacher_id=5, substitute_id=8, id=2)
    access.require_conducts(OTHER_TEACHER, substituted)
    with pytest.raises(AccessDenied):
        access.require_conducts(TEACHER, substituted)


def test_teaches_subject():
    access.require_teaches_subject(TEACHER, MATHS, C7)
    access.require_teaches_subject(SYSTEM, MATHS, C7)
    for viewer, subject, cls in (
        (TEACHER, ENGLISH, C7),
        (OTHER_TEACHER, MATHS, C7),
        (ADMIN, MATHS, C7),
    ):
        with pytest.raises(AccessDenied):
            access.require_teaches_subject(viewer, subject, cls)


def test_class_teacher():
    for viewer in (CLASS_TEACHER, DEPUTY, ADMIN, SYSTEM):
        access.require_class_teacher(viewer, C7)
    for viewer in (TEACHER, PARENT, Viewer(staff_id=7, class_teacher_of=frozenset({C8}))):
        with pytest.raises(AccessDenied):
            access.require_class_teacher(viewer, C7)


def test_admin_and_administration():
    access.require_admin(ADMIN)
    access.require_admin(SYSTEM)
    for viewer in (DEPUTY, DIRECTOR, TEACHER):
        with pytest.raises(AccessDenied):
            access.require_admin(viewer)
    for viewer in (DEPUTY, DIRECTOR, ADMIN, SYSTEM):
        access.require_administration(viewer)
    for viewer in (TEACHER, CLASS_TEACHER, PARENT):
        with pytest.raises(AccessDenied):
            access.require_administration(viewer)


def test_may_correct():
    today, deadline = date(2026, 11, 25), date(2026, 11, 25)
    assert access.may_correct(TEACHER, 5, today, deadline)
    assert not access.may_correct(TEACHER, 5, date(2026, 11, 26), deadline)
    assert not access.may_correct(OTHER_TEACHER, 5, today, deadline)
    assert access.may_correct(DEPUTY, 5, date(2027, 1, 1), deadline)
    assert access.may_correct(ADMIN, 5, date(2027, 1, 1), deadline)
    assert not access.may_correct(DIRECTOR, 5, date(2027, 1, 1), deadline)


def test_a_teacher_reads_and_writes_a_lesson_while_the_teaching_lasts():
    """An ended teaching is not in the viewer: the lesson card and its writes go with it."""
    for viewer in (TEACHER, CLASS_TEACHER, DEPUTY):
        access.require_read_lesson(viewer, LESSON)
    assert access.conducts(TEACHER, LESSON)
    ended = Viewer(staff_id=5, teaches=frozenset({TeachingRef(MATHS, C8)}))
    assert not access.conducts(ended, LESSON)
    with pytest.raises(AccessDenied):
        access.require_read_lesson(ended, LESSON)
    with pytest.raises(AccessDenied):
        access.require_conducts(ended, LESSON)
    # a lesson the administration added is its teacher's, teaching or not
    extra = Lesson(C7, LESSON.day, 6, MATHS, teacher_id=5, origin=LessonOrigin.EXTRA, id=3)
    assert access.conducts(ended, extra)
    # a group's teacher conducts that group's lessons only
    group = Lesson(C7, LESSON.day, 3, ENGLISH, teacher_id=6, subgroup_id=GROUP, id=4)
    other_group = Lesson(C7, LESSON.day, 3, ENGLISH, teacher_id=6, subgroup_id=GROUP + 1, id=5)
    assert access.conducts(GROUP_TEACHER, group)
    assert not access.conducts(GROUP_TEACHER, other_group)


def test_a_student_who_left_is_read_by_the_family_for_finals_only_and_for_a_year():
    left = Student("Иванов", "Пётр", C7, left_on=date(2026, 10, 31), id=100)
    access.require_enrolled(PARENT, left, date(2026, 10, 31))  # the last day: still there
    with pytest.raises(StudentLeft) as refused:
        access.require_enrolled(PARENT, left, date(2026, 11, 1))
    assert refused.value.facts["readable_until"] == date(2027, 10, 31)
    access.require_enrolled(PARENT, left, date(2027, 10, 31), finals=True)
    access.require_enrolled(PUPIL, left, date(2027, 10, 31), finals=True)
    with pytest.raises(StudentLeft):
        access.require_enrolled(PARENT, left, date(2027, 11, 1), finals=True)
    for staff in (CLASS_TEACHER, ADMIN, SYSTEM):
        access.require_enrolled(staff, left, date(2028, 1, 1))
