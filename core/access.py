"""The access policy: who may read or write what (DESIGN.md, roles table).

Every use case asks this module; nothing else decides access. A viewer is everything one
messenger account (or the console) is allowed to act as, gathered once per request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from core.errors import AccessDenied, ConsentRequired, PrivateChatRequired
from core.model import Lesson, StaffRoleKind, Student


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

# What a subject teacher reads of a student: all subjects (None) or just these.
SubjectScope = frozenset[int] | None


def require_private(viewer: Viewer) -> None:
    """Personal data only in private chats."""
    if not viewer.private_chat and not viewer.system:
        raise PrivateChatRequired()


def teaches_student(viewer: Viewer, student: Student, subgroup_ids: frozenset[int]) -> bool:
    return any(
        t.class_id == student.class_id and (t.subgroup_id is None or t.subgroup_id in subgroup_ids)
        for t in viewer.teaches
    )


def student_subjects(
    viewer: Viewer, student: Student, subgroup_ids: frozenset[int]
) -> SubjectScope:
    """The subjects of this student the viewer may read, or raise.

    None means every subject: the student themself, their consented guardian, their class
    teacher and the administration. A subject teacher sees only what they teach them.
    """
    require_private(viewer)
    sid = student.id
    if viewer.administers or student.class_id in viewer.class_teacher_of:
        return None
    if sid is not None and (sid == viewer.student_id or sid in viewer.children):
        return None
    if sid is not None and sid in viewer.children_pending_consent:
        raise ConsentRequired()
    subjects = frozenset(
        t.subject_id
        for t in viewer.teaches
        if t.class_id == student.class_id
        and (t.subgroup_id is None or t.subgroup_id in subgroup_ids)
    )
    if subjects:
        return subjects
    raise AccessDenied("read_student")


def require_read_student(viewer: Viewer, student: Student, subgroup_ids: frozenset[int]) -> None:
    student_subjects(viewer, student, subgroup_ids)


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


def require_conducts(viewer: Viewer, lesson: Lesson) -> None:
    """Only the lesson's teacher, or its substitute, writes to a lesson."""
    if viewer.system:
        return
    if viewer.staff_id is not None and viewer.staff_id == lesson.conducted_by:
        return
    raise AccessDenied("write_lesson")


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
