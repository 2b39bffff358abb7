"""The access policy: who may read or write what (DESIGN.md, roles table).

Every use case asks this module; nothing else decides access. A viewer is everything one
messenger account (or the console) is allowed to act as, gathered once per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from core.errors import AccessDenied, ConsentRequired, PrivateChatRequired, StudentLeft
from core.model import Lesson, LessonOrigin, StaffRoleKind, Student

# A student who left: they and their family read the final marks this long, for the
# certificate; nothing else, and nothing new.
FINALS_KEPT_AFTER_LEAVING = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class TeachingRef:
    subject_id: int
    class_id: int
    subgroup_id: int | None = None


@dataclass(frozen=True, slots=True)
class Viewer:
    account_id: int | None = None
    staff_id: int | None = None
    staff_roles: frozenset[StaffRoleKind] = frozenset()
    class_teacher_of: frozenset[int] = frozenset()  # ClassGroup ids
    teaches: frozenset[TeachingRef] = frozenset()
    guardian_id: int | None = None  # the first guardian record
    # A parent listed once per child (many rosters do that) holds several guardian records;
    # (student, guardian) for every child of each, consented or not.
    guardianships: frozenset[tuple[int, int]] = frozenset()
    children: frozenset[int] = frozenset()  # consented children (001 §3.7, §1.5)
    children_pending_consent: frozenset[int] = frozenset()
    student_id: int | None = None
    private_chat: bool = True
    locale: str = "ru"
    system: bool = False  # the console and scheduled jobs
    # where the viewer acts from: a messenger's name or "console" (the audit log; no right)
    channel: str = field(default="", compare=False, hash=False)
    names: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    @property
    def is_staff(self) -> bool:
        return self.staff_id is not None

    @property
    def administers(self) -> bool:
        """Director, deputy and journal admin read everything (001 §3.1)."""
        return self.system or bool(
            self.staff_roles & {StaffRoleKind.ADMIN, StaffRoleKind.DIRECTOR, StaffRoleKind.DEPUTY}
        )

    @property
    def is_admin(self) -> bool:
        return self.system or StaffRoleKind.ADMIN in self.staff_roles

    @property
    def corrects_any(self) -> bool:
        """Late corrections are for a deputy or the journal admin (001 §8.6)."""
        return self.system or bool(self.staff_roles & {StaffRoleKind.ADMIN, StaffRoleKind.DEPUTY})

    @property
    def guardian_ids(self) -> frozenset[int]:
        """Every guardian record this account holds that has a child."""
        return frozenset(g for _, g in self.guardianships)

    def guardian_for(self, student_id: int) -> int | None:
        """The guardian record through which this account is the child's guardian."""
        return min((g for s, g in self.guardianships if s == student_id), default=None)

    @property
    def is_anonymous(self) -> bool:
        return not (self.system or self.staff_id or self.guardian_id or self.student_id)


SYSTEM = Viewer(system=True)
CONSOLE = Viewer(system=True, channel="console")  # the administrator at ``schoolbot``

# What a subject teacher reads of a student: all subjects (None) or just these.
SubjectScope = frozenset[int] | None


def require_private(viewer: Viewer) -> None:
    """Personal data only in private chats."""
    if not viewer.private_chat and not viewer.system:
        raise PrivateChatRequired()


def student_subjects(
    viewer: Viewer, student_id: int, class_id: int, subgroup_ids: frozenset[int]
) -> SubjectScope:
    """The subjects of this student (in ``class_id`` and these subgroups now) the viewer may
    read, or raise.

    None means every subject: the student themself, their consented guardian, their class
    teacher and the administration. A subject teacher sees only what they teach them, while
    the teaching lasts.
    """
    require_private(viewer)
    if viewer.administers or class_id in viewer.class_teacher_of:
        return None
    if student_id == viewer.student_id or student_id in viewer.children:
        return None
    if student_id in viewer.children_pending_consent:
        raise ConsentRequired()
    subjects = frozenset(
        t.subject_id
        for t in viewer.teaches
        if t.class_id == class_id and (t.subgroup_id is None or t.subgroup_id in subgroup_ids)
    )
    if subjects:
        return subjects
    raise AccessDenied("read_student")


def require_enrolled(viewer: Viewer, student: Student, today: date, finals: bool = False) -> None:
    """The student and their family read a student who left only their final marks, and only
    for a year; staff keep reading the history."""
    if student.left_on is None or student.left_on >= today:
        return
    if viewer.is_staff or viewer.system:
        return
    until = student.left_on + FINALS_KEPT_AFTER_LEAVING
    if finals and today <= until:
        return
    raise StudentLeft(student.left_on, until)


def require_read_class(viewer: Viewer, class_id: int) -> None:
    """Class lists and class reports: the administration, the class teacher, its teachers."""
    require_private(viewer)
    if viewer.administers or class_id in viewer.class_teacher_of:
        return
    if any(t.class_id == class_id for t in viewer.teaches):
        return
    raise AccessDenied("read_class")


def require_read_contacts(viewer: Viewer, class_id: int) -> None:
    """Guardians' contacts: the class teacher and the administration (001 §3.1)."""
    require_private(viewer)
    if viewer.administers or class_id in viewer.class_teacher_of:
        return
    raise AccessDenied("read_contacts")


def teaches_lesson(viewer: Viewer, lesson: Lesson) -> bool:
    """The viewer holds the teaching behind this lesson (its subject, its class or group)."""
    return any(
        t.subject_id == lesson.subject_id
        and t.class_id == lesson.class_id
        and (t.subgroup_id is None or t.subgroup_id == lesson.subgroup_id)
        for t in viewer.teaches
    )


def _teacher_of(viewer: Viewer, lesson: Lesson) -> bool:
    """The lesson's own teacher, while the teaching lasts (an extra lesson the administration
    gave them is theirs as it is)."""
    return viewer.staff_id == lesson.teacher_id and (
        lesson.origin == LessonOrigin.EXTRA or teaches_lesson(viewer, lesson)
    )


def conducts(viewer: Viewer, lesson: Lesson) -> bool:
    """The substitute, when there is one; else the teacher, while the teaching lasts."""
    if viewer.staff_id is None:
        return False
    if lesson.substitute_id is not None:
        return viewer.staff_id == lesson.substitute_id
    return _teacher_of(viewer, lesson)


def require_conducts(viewer: Viewer, lesson: Lesson) -> None:
    """Only the lesson's teacher, or its substitute, writes to a lesson."""
    if viewer.system or conducts(viewer, lesson):
        return
    raise AccessDenied("write_lesson")


def require_read_lesson(viewer: Viewer, lesson: Lesson) -> None:
    """A lesson's card and roll call: its teacher (while the teaching lasts), its substitute,
    the class teacher and the administration."""
    require_private(viewer)
    if viewer.administers or lesson.class_id in viewer.class_teacher_of:
        return
    if viewer.staff_id is not None and (
        viewer.staff_id == lesson.substitute_id or _teacher_of(viewer, lesson)
    ):
        return
    raise AccessDenied("read_lesson")


def require_teaches_subject(viewer: Viewer, subject_id: int, class_id: int) -> None:
    """Period and year marks: a teacher of that subject in that class."""
    if viewer.system:
        return
    if any(t.subject_id == subject_id and t.class_id == class_id for t in viewer.teaches):
        return
    raise AccessDenied("set_final_mark")


def require_hands_out_codes(viewer: Viewer, class_id: int | None = None) -> None:
    """Codes for a class's students and parents: the admin, or that class's class teacher
    (with no class given: a class teacher of any class) (000 §3.1; 004 §5.2)."""
    if viewer.is_admin:
        return
    if class_id in viewer.class_teacher_of or (class_id is None and viewer.class_teacher_of):
        return
    raise AccessDenied("issue_invite")


def require_class_teacher(viewer: Viewer, class_id: int) -> None:
    """Absence reasons, broadcasts and invites for a class: its class teacher (or admin)."""
    if viewer.is_admin or viewer.corrects_any or class_id in viewer.class_teacher_of:
        return
    raise AccessDenied("class_teacher")


def require_admin(viewer: Viewer) -> None:
    if viewer.is_admin:
        return
    raise AccessDenied("admin")


def require_timetable_changes(viewer: Viewer) -> None:
    """Substitutions, cancellations, moved and extra lessons: the deputy and the journal admin."""
    if viewer.corrects_any:
        return
    raise AccessDenied("timetable")


def require_administration(viewer: Viewer) -> None:
    """Director, deputy or admin: substitutions, cancellations, quarantine shifts."""
    if viewer.administers:
        return
    raise AccessDenied("administration")


def may_correct(viewer: Viewer, author_id: int, today: date, deadline: date) -> bool:
    """The author within the window; after it, a deputy or the admin (001 §8.6)."""
    if viewer.corrects_any:
        return True
    return viewer.staff_id == author_id and today <= deadline
