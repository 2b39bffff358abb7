"""Letters about a child between the family and the staff whose work touches the child
(rule 13: 000 §2.1, §6; 001 §3.7, §4.8; 004 §4.2.5, §5.7).

Who may write to whom, about one student, decided here for starting a letter and answering:

- a consented guardian → the child's teachers (a current teaching of the child's class or of
  one of the child's subgroups), the class teacher, «the administration» (or one of it by
  name: a broadcast's author, whoever answered for the administration);
- the student (their own linked account) → their teachers and class teacher; never to other
  students or to guardians;
- a teacher of the student, the class teacher, the administration (director, deputy, journal
  admin) and whoever receives the administration's letters → all the child's consented,
  linked guardians at once (the pushes' recipients), or back to whoever wrote to them.

An answer goes to the other side of its thread's first letter, so a reply keeps the pair, and
it is checked by the same rule when written: access ends with the teaching or the link. The
thread stays readable to both sides, but a teacher who no longer teaches the child cannot
continue it, nor can the parent with them (they write to the class teacher or the
administration instead).

The administration's letters go to the staff the school marks with the «letters» role in the
staff file; with nobody marked, to the deputies; with no deputy, to the journal admins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core import access, audit
from core.access import Viewer
from core.audit import NO_READS, ReadLog
from core.clock import Clock
from core.errors import (
    AccessDenied,
    ConsentRequired,
    LetterRefused,
    NotFound,
    ValidationFailed,
)
from core.events import LetterSent
from core.model import (
    Attachment,
    ClassGroup,
    Letter,
    PersonRole,
    Staff,
    StaffRole,
    StaffRoleKind,
    Student,
)
from core.ports import UnitOfWork, UnitOfWorkFactory

MAX_LETTER = 2000
MAX_ATTACHMENTS = 1
EVERYONE = 0  # a letter's ``to_id`` to a group: all the child's guardians, or the administration
# Who receives the administration's letters, in this order of fallback.
OFFICE_ROLES = (StaffRoleKind.LETTERS, StaffRoleKind.DEPUTY, StaffRoleKind.ADMIN)
ADMINISTRATION = (StaffRoleKind.DIRECTOR, StaffRoleKind.DEPUTY, StaffRoleKind.ADMIN)


@dataclass(frozen=True, slots=True, order=True)
class Party:
    """One side of a letter: a guardian, the student, a staff member, or a group."""

    role: PersonRole  # GUARDIAN, STUDENT, STAFF, or ADMIN (the administration)
    id: int


FAMILY = Party(PersonRole.GUARDIAN, EVERYONE)
OFFICE = Party(PersonRole.ADMIN, EVERYONE)


@dataclass(frozen=True, slots=True)
class Contacts:
    """Whose work touches the student today."""

    student: Student
    cls: ClassGroup
    teachers: dict[int, tuple[int, ...]]  # staff id → the subjects they teach the student
    office: frozenset[int]  # who receives the administration's letters
    administration: frozenset[int]  # director, deputies, journal admins
    guardians: frozenset[int]  # the guardian records with a consented, active link

    @property
    def reachable(self) -> frozenset[int]:
        """The child's teachers and class teacher: whom the family picks by name."""
        found = set(self.teachers)
        if self.cls.class_teacher_id is not None:
            found.add(self.cls.class_teacher_id)
        return frozenset(found)

    def may_write(self, sender: Party, to: Party, administers: bool = False) -> bool:
        """The pairs of rule 13; anything else is refused."""
        if sender.role == PersonRole.STUDENT:
            return to.role == PersonRole.STAFF and to.id in self.reachable
        if sender.role == PersonRole.GUARDIAN:
            # the administration as a whole, or one of it answering (a broadcast, a letter)
            return to == OFFICE or (
                to.role == PersonRole.STAFF
                and to.id in self.reachable | self.office | self.administration
            )
        if sender.role != PersonRole.STAFF:
            return False
        if not (administers or sender.id in self.reachable or sender.id in self.office):
            return False
        if to.role == PersonRole.GUARDIAN:
            return to.id == EVERYONE or to.id in self.guardians
        return to == Party(PersonRole.STUDENT, self.student.id)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Choice:
    """Someone the viewer may write to about the student, as the recipient buttons show."""

    to: Party
    name: str  # the staff member's name; "" for the administration and the family
    subjects: tuple[str, ...] = ()
    class_teacher: bool = False


@dataclass(frozen=True, slots=True)
class Choices:
    student: Student
    cls: ClassGroup
    choices: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class ThreadLetter:
    letter: Letter
    from_name: str
    mine: bool  # written by the viewer's side


@dataclass(frozen=True, slots=True)
class Thread:
    """A letter and every answer around it, oldest first, as one side sees it."""

    student: Student
    cls: ClassGroup
    letters: tuple[ThreadLetter, ...]
    opened: int  # the letter asked for
    other_name: str  # the other side: a name, or "" for the family or the administration
    other: Party
    may_answer: bool  # the pair may still write (the teaching or the link has not ended)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A letter to the viewer (or to the administration) nobody has answered yet."""

    letter: Letter
    student: Student
    cls: ClassGroup
    from_name: str


def text_of(value: str, attachments: Sequence[Attachment], limit: int = MAX_LETTER) -> str:
    """The letter's text, checked: something to say, within the limit, one photo or file."""
    value = value.strip()
    if not value and not attachments:
        raise ValidationFailed("text", "empty")
    if len(value) > limit:
        raise ValidationFailed("text", "too_long")
    if len(attachments) > MAX_ATTACHMENTS:
        raise ValidationFailed("attachments", "too_many")
    for item in attachments:
        if item.kind not in ("photo", "document") or not item.ref:
            raise ValidationFailed("attachments", "unsupported")
    return value


async def office(uow: UnitOfWork, roles: Sequence[StaffRole] | None = None) -> frozenset[int]:
    """Who receives the administration's letters (the fallback order of ``OFFICE_ROLES``)."""
    roles = await uow.staff_roles.list_all() if roles is None else roles
    for kind in OFFICE_ROLES:
        found = frozenset(r.staff_id for r in roles if r.role == kind)
        if found:
            return found
    return frozenset()


async def post(uow: UnitOfWork, viewer: Viewer, letter: Letter) -> Letter:
    """Store a letter, its audit entry and its push in one transaction."""
    letter = await uow.letters.add(letter)
    await uow.audit.add(
        audit.change(
            viewer,
            letter.created_at,
            "letter.send",
            "letter",
            letter.id,
            student_id=letter.student_id,
            after=f"{letter.from_role.value}:{letter.from_id}>{letter.to_role.value}:{letter.to_id}",
        )
    )
    uow.emit(LetterSent(letter.id, letter.student_id, letter.to_role.value, letter.to_id))  # type: ignore[arg-type]
    await uow.commit()
    return letter


@dataclass(frozen=True, slots=True)
class LetterService:
    """Letters about a child only between the pairs of rule 13; every recipient, typed or in a
    button, is checked again here (000 §6; 001 §4.8; 004 §4.2.5)."""

    uow: UnitOfWorkFactory
    clock: Clock
    reads: ReadLog = NO_READS

    # --- who, about whom ------------------------------------------------------------------

    async def _contacts(self, uow: UnitOfWork, student_id: int) -> Contacts:
        student = await uow.students.get(student_id)
        cls = await uow.classes.get(student.class_id) if student else None
        if student is None or cls is None:
            raise NotFound("student", student_id)
        today = self.clock.today()
        groups = await uow.subgroups.of_student(student_id, on=today)
        teachers: dict[int, tuple[int, ...]] = {}
        for t in await uow.teachings.for_class(cls.id, on=today):  # type: ignore[arg-type]
            if t.subgroup_id is None or t.subgroup_id in groups:
                teachers[t.staff_id] = (*teachers.get(t.staff_id, ()), t.subject_id)
        links = await uow.guardian_links.for_student(student_id)
        roles = await uow.staff_roles.list_all()
        return Contacts(
            student,
            cls,
            teachers,
            await office(uow, roles),
            frozenset(r.staff_id for r in roles if r.role in ADMINISTRATION),
            frozenset(x.guardian_id for x in links if x.consent_at and x.ended_at is None),
        )

    def _family_side(self, viewer: Viewer, student: Student) -> Party:
        """The parent or the student writing about this child, or a refusal."""
        access.require_private(viewer)
        if viewer.student_id is not None and viewer.student_id == student.id:
            party = Party(PersonRole.STUDENT, student.id)  # type: ignore[arg-type]
        elif student.id in viewer.children:
            party = Party(PersonRole.GUARDIAN, viewer.guardian_for(student.id))  # type: ignore[arg-type]
        elif student.id in viewer.children_pending_consent:
            raise ConsentRequired()
        else:
            raise AccessDenied("write_letter")
        access.require_enrolled(viewer, student, self.clock.today())
        return party

    def _staff_side(self, viewer: Viewer) -> Party:
        access.require_private(viewer)
        if viewer.staff_id is None:
            raise AccessDenied("write_letter")
        return Party(PersonRole.STAFF, viewer.staff_id)

    def _acts_as(self, viewer: Viewer, party: Party, c: Contacts) -> Party | None:
        """The party the viewer writes as when they are this side of a thread."""
        sid = c.student.id
        if party.role == PersonRole.GUARDIAN and sid in viewer.children:
            if party.id == EVERYONE or (sid, party.id) in viewer.guardianships:
                return Party(PersonRole.GUARDIAN, viewer.guardian_for(sid))  # type: ignore[arg-type]
        if party.role == PersonRole.STUDENT and viewer.student_id == party.id:
            return party
        if viewer.staff_id is not None:
            if party == Party(PersonRole.STAFF, viewer.staff_id) or (
                party == OFFICE and viewer.staff_id in c.office
            ):
                return Party(PersonRole.STAFF, viewer.staff_id)
        return None

    async def choices(self, viewer: Viewer, student_id: int) -> Choices:
        """Whom a parent or the student may write to about the child: their teachers by
        subject, the class teacher, and (for parents) the administration."""
        async with self.uow(readonly=True) as uow:
            student = await uow.students.get(student_id)
            if student is None:
                raise NotFound("student", student_id)
            sender = self._family_side(viewer, student)
            c = await self._contacts(uow, student_id)
            staff = {s.id: s for s in await uow.staff.many(sorted(c.reachable))}
            subjects = {s.id: s.name for s in await uow.subjects.list_all()}
        found = [
            Choice(
                Party(PersonRole.STAFF, sid),
                staff[sid].full_name,
                tuple(sorted(subjects.get(x, "") for x in set(c.teachers.get(sid, ())))),
                sid == c.cls.class_teacher_id,
            )
            for sid in c.reachable
            if sid in staff
        ]
        found.sort(key=lambda x: (not x.class_teacher, x.subjects, x.name))
        if c.may_write(sender, OFFICE):
            found.append(Choice(OFFICE, ""))
        return Choices(c.student, c.cls, tuple(found))

    async def recipient(
        self, viewer: Viewer, student_id: int, to: Party
    ) -> tuple[Student, ClassGroup, str]:
        """The student, their class and the recipient's name ("" for a group) a prompt shows,
        once the pair is checked: a forged button is refused before anything is typed."""
        async with self.uow(readonly=True) as uow:
            c, _ = await self._require_pair(uow, viewer, student_id, to)
            return c.student, c.cls, await _name(uow, to)

    async def _require_pair(
        self, uow: UnitOfWork, viewer: Viewer, student_id: int, to: Party
    ) -> tuple[Contacts, Party]:
        """The contacts and the viewer's side, if the viewer may write to ``to``."""
        student = await uow.students.get(student_id)
        if student is None:
            raise NotFound("student", student_id)
        if to.role == PersonRole.GUARDIAN:
            sender = self._staff_side(viewer)
        else:
            sender = self._family_side(viewer, student)
        c = await self._contacts(uow, student_id)
        if not c.may_write(sender, to, viewer.administers):
            raise LetterRefused()
        return c, sender

    # --- writing --------------------------------------------------------------------------

    def _letter(
        self,
        student_id: int,
        sender: Party,
        to: Party,
        text: str,
        attachments: Sequence[Attachment],
        reply_to: int | None = None,
    ) -> Letter:
        return Letter(
            student_id,
            sender.role,
            sender.id,
            to.role,
            to.id,
            text,
            self.clock.now(),
            attachments=list(attachments),
            reply_to=reply_to,
        )

    async def write(
        self,
        viewer: Viewer,
        student_id: int,
        to: Party,
        text: str,
        attachments: Sequence[Attachment] = (),
    ) -> Letter:
        """A new letter about the student, to someone the pair rule allows."""
        text = text_of(text, attachments)
        async with self.uow() as uow:
            _, sender = await self._require_pair(uow, viewer, student_id, to)
            letter = self._letter(student_id, sender, to, text, attachments)
            return await post(uow, viewer, letter)

    async def _thread(
        self, uow: UnitOfWork, viewer: Viewer, letter_id: int
    ) -> tuple[Letter, list[Letter], Contacts, Party, Party]:
        """The letter's thread, the contacts, the viewer's party and the other side; a
        letter the viewer is no side of is «not found», as a forged id should be."""
        access.require_private(viewer)
        letter = await uow.letters.get(letter_id)
        if letter is None:
            raise NotFound("letter", letter_id)
        letters = {x.id: x for x in await uow.letters.for_student(letter.student_id)}
        root = letter
        while root.reply_to is not None and root.reply_to in letters:
            root = letters[root.reply_to]
        ids = {root.id}
        for x in sorted(letters.values(), key=lambda x: x.id):  # type: ignore[arg-type, return-value]
            if x.reply_to in ids:
                ids.add(x.id)
        c = await self._contacts(uow, letter.student_id)
        a, b = Party(root.from_role, root.from_id), Party(root.to_role, root.to_id)
        me = self._acts_as(viewer, a, c)
        other = b
        if me is None:
            me, other = self._acts_as(viewer, b, c), a
        if me is None:
            raise NotFound("letter", letter_id)
        thread = sorted((letters[i] for i in ids), key=lambda x: (x.created_at, x.id))  # type: ignore[arg-type, return-value]
        return letter, thread, c, me, other

    async def thread(self, viewer: Viewer, letter_id: int) -> Thread:
        """A letter with its answers, for either side; staff reading it are on record."""
        async with self.uow(readonly=True) as uow:
            _, letters, c, me, other = await self._thread(uow, viewer, letter_id)
            names = {p: await _name(uow, p) for p in {_from(x) for x in letters} | {other}}
        audit.note_read(
            self.reads,
            viewer,
            self.clock.now(),
            "letter.read",
            "letter",
            letter_id,
            student_id=c.student.id,
        )
        mine = {me, Party(PersonRole.STAFF, viewer.staff_id or -1)}
        return Thread(
            c.student,
            c.cls,
            tuple(ThreadLetter(x, names[_from(x)], _from(x) in mine) for x in letters),
            letter_id,
            names[other],
            other,
            c.may_write(me, other, viewer.administers),
        )

    async def reply(
        self, viewer: Viewer, letter_id: int, text: str, attachments: Sequence[Attachment] = ()
    ) -> Letter:
        """An answer under the letter, to the other side of its thread, while the pair may
        still write."""
        text = text_of(text, attachments)
        async with self.uow() as uow:
            letter, _, c, me, other = await self._thread(uow, viewer, letter_id)
            if not c.may_write(me, other, viewer.administers):
                raise LetterRefused()
            answer = self._letter(letter.student_id, me, other, text, attachments, letter.id)
            return await post(uow, viewer, answer)

    # --- staff ----------------------------------------------------------------------------

    async def waiting(self, viewer: Viewer) -> list[Waiting]:
        """Letters to the viewer, or to the administration for those who receive its letters,
        that nobody has answered yet, oldest first."""
        staff = self._staff_side(viewer)
        async with self.uow(readonly=True) as uow:
            found = await uow.letters.unanswered(PersonRole.STAFF, [staff.id])
            if staff.id in await office(uow):
                found += await uow.letters.unanswered(PersonRole.ADMIN, [EVERYONE])
            students = {s.id: s for s in await uow.students.many([x.student_id for x in found])}
            classes = {c.id: c for c in await uow.classes.list_all()}
            out = [
                Waiting(x, students[x.student_id], classes[students[x.student_id].class_id], "")
                for x in sorted(found, key=lambda x: (x.created_at, x.id))  # type: ignore[arg-type, return-value]
                if x.student_id in students
            ]
            return [
                Waiting(w.letter, w.student, w.cls, await _name(uow, _from(w.letter))) for w in out
            ]

    async def classes(self, viewer: Viewer) -> list[ClassGroup]:
        """The classes whose families the viewer may write to: all of them for the
        administration; else those they lead or teach."""
        staff = self._staff_side(viewer)
        async with self.uow(readonly=True) as uow:
            year = await uow.years.containing(self.clock.today())
            if year is None:
                return []
            classes = await uow.classes.for_year(year.id)  # type: ignore[arg-type]
            if viewer.administers or staff.id in await office(uow):
                return classes
        mine = viewer.class_teacher_of | {t.class_id for t in viewer.teaches}
        return [c for c in classes if c.id in mine]

    async def students(self, viewer: Viewer, class_id: int) -> tuple[ClassGroup, list[Student]]:
        """The students of the class whose families the viewer may write to."""
        staff = self._staff_side(viewer)
        today = self.clock.today()
        async with self.uow(readonly=True) as uow:
            cls = await uow.classes.get(class_id)
            if cls is None:
                raise NotFound("class", class_id)
            students = await uow.students.in_class(class_id, on=today)
            if viewer.administers or class_id in viewer.class_teacher_of:
                return cls, students
            if staff.id in await office(uow):
                return cls, students
            groups = {t.subgroup_id for t in viewer.teaches if t.class_id == class_id}
            if not groups:
                raise LetterRefused()
            if None in groups:
                return cls, students
            members: set[int] = set()
            for group in groups:
                members |= set(await uow.subgroups.member_ids(group, on=today))  # type: ignore[arg-type]
            return cls, [s for s in students if s.id in members]


def _from(letter: Letter) -> Party:
    return Party(letter.from_role, letter.from_id)


async def _name(uow: UnitOfWork, party: Party) -> str:
    """A person's full name; "" for a group (the family, the administration)."""
    if party.id == EVERYONE:
        return ""
    person: Staff | Student | object | None
    if party.role == PersonRole.GUARDIAN:
        person = await uow.guardians.get(party.id)
    elif party.role == PersonRole.STUDENT:
        person = await uow.students.get(party.id)
    else:
        person = await uow.staff.get(party.id)
    return getattr(person, "full_name", "") if person is not None else ""
