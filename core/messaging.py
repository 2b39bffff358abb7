"""Broadcasts, read receipts, and the letters a parent starts from a push.

A class teacher (or the administration) writes to a class's guardians and/or students; each
recipient gets one delivery and may mark it read. Guardians answer a broadcast or explain an
absence to the class teacher; every other letter, and every answer, is ``core/letters.py``'s.
Deliveries themselves are written by the fan-out when these use cases commit.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from core import access
from core.access import Viewer
from core.clock import Clock
from core.errors import (
    AccessDenied,
    ConsentRequired,
    NoClassTeacher,
    NotAbsent,
    NotFound,
)
from core.events import BroadcastSent
from core.letters import post, text_of
from core.limits import CAPTION_LIMIT, MESSAGE_LIMIT
from core.model import (
    AccountLink,
    Attachment,
    AttendanceKind,
    Audience,
    Broadcast,
    ClassGroup,
    Delivery,
    DeliveryStatus,
    Letter,
    PersonRole,
    Student,
)
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.push_choice import pushed_pairs

MAX_BROADCAST = MESSAGE_LIMIT - 500  # the header of the push takes some of the message
MAX_CAPTION = CAPTION_LIMIT - 124  # a photo's or document's caption; the header takes some


@dataclass(frozen=True, slots=True)
class Recipient:
    """One account of the audience, with the children the message concerns."""

    account_id: int
    role: PersonRole  # GUARDIAN or STUDENT
    person_id: int
    student_ids: tuple[int, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class Unreachable:
    """Someone in the audience with no linked account yet (or, for a guardian, no consent)."""

    role: PersonRole
    name: str
    student_name: str


@dataclass(frozen=True, slots=True)
class AudienceView:
    cls: ClassGroup
    audience: Audience
    subgroup_id: int | None
    recipients: tuple[Recipient, ...]
    not_linked: tuple[Unreachable, ...]

    @property
    def guardians(self) -> int:
        return sum(1 for r in self.recipients if r.role == PersonRole.GUARDIAN)

    @property
    def students(self) -> int:
        return sum(1 for r in self.recipients if r.role == PersonRole.STUDENT)

    @property
    def blocked(self) -> int:
        return sum(1 for r in self.recipients if not r.active)


@dataclass(frozen=True, slots=True)
class BroadcastProgress:
    broadcast: Broadcast
    cls: ClassGroup
    total: int
    sent: int
    failed: int
    pending: int
    read: int

    @property
    def not_linked(self) -> int:
        return self.broadcast.not_linked


@dataclass(frozen=True, slots=True)
class UnreadLine:
    role: PersonRole
    name: str
    student_names: tuple[str, ...]


async def _pushed_links(
    uow: UnitOfWork, links: list[AccountLink], running: Collection[str] | None
) -> list[AccountLink]:
    """The links whose accounts get their person's pushes: one messenger per person
    (``core.push_choice``)."""
    accounts = {a.id: a for a in await uow.accounts.many(sorted({x.account_id for x in links}))}
    pairs = [(accounts[x.account_id], x.person_id) for x in links if x.account_id in accounts]
    keep = pushed_pairs(pairs, running)
    return [x for x in links if (x.account_id, x.person_id) in keep]


async def resolve_audience(
    uow: UnitOfWork,
    cls: ClassGroup,
    audience: Audience,
    subgroup_id: int | None,
    on: date,
    running: Collection[str] | None = None,
) -> AudienceView:
    """Who a broadcast reaches: linked accounts (guardians with consent), and who it cannot;
    a person on two messengers through one (``core.push_choice``; ``running``: the
    messengers this school runs, None: all)."""
    students = await uow.students.in_class(cls.id, on=on)  # type: ignore[arg-type]
    if subgroup_id is not None:
        members = set(await uow.subgroups.member_ids(subgroup_id))
        students = [s for s in students if s.id in members]
    by_id = {s.id: s for s in students}
    ids = list(by_id)
    found: dict[tuple[int, PersonRole], list] = {}  # (account, role) -> [person, children]
    missing: list[Unreachable] = []
    if audience in (Audience.STUDENTS, Audience.BOTH):
        links = await _pushed_links(
            uow, await uow.account_links.active_for_people(PersonRole.STUDENT, ids), running
        )
        linked = {x.person_id for x in links}
        for link in links:
            found.setdefault((link.account_id, PersonRole.STUDENT), [link.person_id, []])[1].append(
                link.person_id
            )
        missing += [
            Unreachable(PersonRole.STUDENT, s.full_name, s.short_name)
            for s in students
            if s.id not in linked
        ]
    if audience in (Audience.GUARDIANS, Audience.BOTH):
        glinks = await uow.guardian_links.for_students(ids)
        guardians = {g.id: g for g in await uow.guardians.many([x.guardian_id for x in glinks])}
        links = await _pushed_links(
            uow,
            await uow.account_links.active_for_people(PersonRole.GUARDIAN, list(guardians)),
            running,
        )
        accounts_of: dict[int, list[int]] = {}
        for link in links:
            accounts_of.setdefault(link.person_id, []).append(link.account_id)
        for glink in glinks:
            guardian = guardians.get(glink.guardian_id)
            student = by_id[glink.student_id]
            if guardian is None:
                continue
            accounts = accounts_of.get(guardian.id, []) if glink.consent_at else []
            if not accounts:
                missing.append(
                    Unreachable(PersonRole.GUARDIAN, guardian.full_name, student.short_name)
                )
            for account_id in accounts:
                entry = found.setdefault((account_id, PersonRole.GUARDIAN), [guardian.id, []])
                entry[1].append(student.id)
    accounts = {a.id: a for a in await uow.accounts.many([k[0] for k in found])}
    recipients = tuple(
        Recipient(
            account_id,
            role,
            person_id,
            tuple(sorted(set(children))),
            accounts[account_id].active if account_id in accounts else False,
        )
        for (account_id, role), (person_id, children) in sorted(
            found.items(), key=lambda kv: (kv[0][1], kv[0][0])
        )
        if account_id in accounts
    )
    return AudienceView(
        cls,
        audience,
        subgroup_id,
        recipients,
        tuple(sorted(missing, key=lambda x: (x.student_name, x.role, x.name))),
    )


def _require_author(viewer: Viewer, class_id: int) -> int:
    access.require_private(viewer)
    access.require_class_teacher(viewer, class_id)
    if viewer.staff_id is None:  # the console does not broadcast: a broadcast has an author
        raise AccessDenied("broadcast")
    return viewer.staff_id


@dataclass(frozen=True, slots=True)
class MessagingService:
    """Only the class teacher of a class (or the administration) broadcasts to it; guardians
    write about their own children only (000 §6; 001 §4.8; 004 §4.2.5)."""

    uow: UnitOfWorkFactory
    clock: Clock

    # --- broadcasts --------------------------------------------------------------------------

    async def broadcast_classes(self, viewer: Viewer) -> list[ClassGroup]:
        """The classes this viewer may broadcast to, by grade and letter."""
        access.require_private(viewer)
        if viewer.staff_id is None:
            return []
        async with self.uow(readonly=True) as uow:
            year = await uow.years.containing(self.clock.today())
            if year is None:
                return []
            classes = await uow.classes.for_year(year.id)  # type: ignore[arg-type]
        if viewer.is_admin or viewer.corrects_any:
            return classes
        return [c for c in classes if c.id in viewer.class_teacher_of]

    async def _class(self, uow: UnitOfWork, class_id: int, subgroup_id: int | None) -> ClassGroup:
        cls = await uow.classes.get(class_id)
        if cls is None:
            raise NotFound("class", class_id)
        if subgroup_id is not None:
            group = await uow.subgroups.get(subgroup_id)
            if group is None or group.class_id != class_id:
                raise NotFound("subgroup", subgroup_id)
        return cls

    async def subgroups(self, viewer: Viewer, class_id: int) -> list:
        _require_author(viewer, class_id)
        async with self.uow(readonly=True) as uow:
            return await uow.subgroups.for_class(class_id)

    async def preview_broadcast(
        self, viewer: Viewer, class_id: int, audience: Audience, subgroup_id: int | None = None
    ) -> AudienceView:
        """The recipients a broadcast would reach now, and who is not linked yet."""
        _require_author(viewer, class_id)
        async with self.uow(readonly=True) as uow:
            cls = await self._class(uow, class_id, subgroup_id)
            return await resolve_audience(uow, cls, audience, subgroup_id, self.clock.today())

    async def send_broadcast(
        self,
        viewer: Viewer,
        class_id: int,
        audience: Audience,
        text: str,
        subgroup_id: int | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> Broadcast:
        """One delivery per linked recipient, written in this transaction by the fan-out."""
        author = _require_author(viewer, class_id)
        text = text_of(text, attachments, MAX_CAPTION if attachments else MAX_BROADCAST)
        async with self.uow() as uow:
            cls = await self._class(uow, class_id, subgroup_id)
            view = await resolve_audience(uow, cls, audience, subgroup_id, self.clock.today())
            broadcast = await uow.broadcasts.add(
                Broadcast(
                    class_id,
                    author,
                    audience,
                    text,
                    self.clock.now(),
                    subgroup_id=subgroup_id,
                    attachments=list(attachments),
                    author_account_id=viewer.account_id,
                    recipients=len(view.recipients),
                    not_linked=len(view.not_linked),
                )
            )
            uow.emit(BroadcastSent(broadcast.id, class_id))  # type: ignore[arg-type]
            await uow.commit()
            return broadcast

    async def _own_broadcast(
        self, uow: UnitOfWork, viewer: Viewer, broadcast_id: int
    ) -> tuple[Broadcast, ClassGroup]:
        access.require_private(viewer)
        broadcast = await uow.broadcasts.get(broadcast_id)
        if broadcast is None:
            raise NotFound("broadcast", broadcast_id)
        if not (viewer.staff_id == broadcast.author_id or viewer.administers):
            access.require_class_teacher(viewer, broadcast.class_id)
        cls = await uow.classes.get(broadcast.class_id)
        assert cls is not None
        return broadcast, cls

    async def broadcast_progress(self, viewer: Viewer, broadcast_id: int) -> BroadcastProgress:
        """Sent, failed, waiting and read, for the author, the class teacher or administration."""
        async with self.uow(readonly=True) as uow:
            broadcast, cls = await self._own_broadcast(uow, viewer, broadcast_id)
            rows = [
                d for d in await uow.deliveries.for_broadcast(broadcast_id) if d.kind == "broadcast"
            ]
        failed = (DeliveryStatus.PARKED, DeliveryStatus.SKIPPED, DeliveryStatus.SUPERSEDED)
        return BroadcastProgress(
            broadcast,
            cls,
            total=len(rows),
            sent=sum(1 for d in rows if d.status == DeliveryStatus.SENT),
            failed=sum(1 for d in rows if d.status in failed),
            pending=sum(1 for d in rows if d.status == DeliveryStatus.PENDING),
            read=sum(1 for d in rows if d.read_at is not None),
        )

    async def unread(self, viewer: Viewer, broadcast_id: int) -> list[UnreadLine]:
        """Who got the broadcast and has not marked it read yet (undelivered ones included)."""
        async with self.uow(readonly=True) as uow:
            await self._own_broadcast(uow, viewer, broadcast_id)
            rows = [
                d
                for d in await uow.deliveries.for_broadcast(broadcast_id)
                if d.kind == "broadcast" and d.read_at is None
            ]
            guardians = {
                g.id: g
                for g in await uow.guardians.many(
                    [d.person_id for d in rows if d.role == PersonRole.GUARDIAN and d.person_id]
                )
            }
            students = {
                s.id: s
                for s in await uow.students.many(
                    sorted({sid for d in rows for sid in _children(d)})
                )
            }
        lines = []
        for d in rows:
            children = tuple(students[s].short_name for s in _children(d) if s in students)
            if d.role == PersonRole.GUARDIAN and d.person_id in guardians:
                name = guardians[d.person_id].full_name
            else:
                name = children[0] if children else ""
                children = ()
            lines.append(UnreadLine(d.role or PersonRole.STUDENT, name, children))
        return sorted(lines, key=lambda x: (x.student_names or (x.name,), x.name))

    async def mark_read(self, viewer: Viewer, delivery_id: int) -> Delivery:
        """The recipient confirms reading a broadcast; only their own, once."""
        if viewer.account_id is None:
            raise AccessDenied("read_receipt")
        async with self.uow() as uow:
            delivery = await uow.deliveries.get(delivery_id)
            if (
                delivery is None
                or delivery.account_id != viewer.account_id
                or delivery.broadcast_id is None
            ):
                raise NotFound("delivery", delivery_id)
            if delivery.read_at is None:
                delivery.read_at = self.clock.now()
                await uow.commit()
            return delivery

    # --- letters -----------------------------------------------------------------------------

    async def _guardian_child(self, uow: UnitOfWork, viewer: Viewer, student_id: int) -> Student:
        access.require_private(viewer)
        if student_id in viewer.children_pending_consent:
            raise ConsentRequired()
        if viewer.guardian_id is None or student_id not in viewer.children:
            raise AccessDenied("write_letter")
        student = await uow.students.get(student_id)
        if student is None:
            raise NotFound("student", student_id)
        return student

    async def _class_teacher(self, uow: UnitOfWork, student: Student) -> int:
        cls = await uow.classes.get(student.class_id)
        if cls is None or cls.class_teacher_id is None:
            raise NoClassTeacher(class_id=student.class_id)
        return cls.class_teacher_id

    async def write_to_class_teacher(
        self,
        viewer: Viewer,
        student_id: int,
        text: str,
        attachments: Sequence[Attachment] = (),
        broadcast_id: int | None = None,
    ) -> Letter:
        """A guardian writes to their child's class teacher, or answers a broadcast."""
        text = text_of(text, attachments)
        async with self.uow() as uow:
            student = await self._guardian_child(uow, viewer, student_id)
            if broadcast_id is not None:
                broadcast = await uow.broadcasts.get(broadcast_id)
                if broadcast is None or broadcast.class_id != student.class_id:
                    raise NotFound("broadcast", broadcast_id)
                to_id = broadcast.author_id
            else:
                to_id = await self._class_teacher(uow, student)
            return await post(
                uow,
                viewer,
                Letter(
                    student_id,
                    PersonRole.GUARDIAN,
                    viewer.guardian_for(student_id),  # type: ignore[arg-type]
                    PersonRole.STAFF,
                    to_id,
                    text,
                    self.clock.now(),
                    attachments=list(attachments),
                    broadcast_id=broadcast_id,
                ),
            )

    async def explain_absence(
        self,
        viewer: Viewer,
        attendance_id: int,
        text: str,
        attachments: Sequence[Attachment] = (),
    ) -> Letter:
        """A guardian explains their child's absence; the class teacher then sets the reason."""
        text = text_of(text, attachments)
        async with self.uow() as uow:
            record = await uow.attendance.get(attendance_id)
            if record is None:
                raise NotFound("attendance", attendance_id)
            student = await self._guardian_child(uow, viewer, record.student_id)
            if record.kind != AttendanceKind.ABSENT:
                raise NotAbsent(attendance_id=attendance_id)
            to_id = await self._class_teacher(uow, student)
            return await post(
                uow,
                viewer,
                Letter(
                    student.id,  # type: ignore[arg-type]
                    PersonRole.GUARDIAN,
                    viewer.guardian_for(student.id),  # type: ignore[arg-type]
                    PersonRole.STAFF,
                    to_id,
                    text,
                    self.clock.now(),
                    attachments=list(attachments),
                    attendance_id=attendance_id,
                ),
            )


def _children(delivery: Delivery) -> list[int]:
    """The children a broadcast delivery concerns, from its payload."""
    try:
        return [int(x) for x in json.loads(delivery.payload).get("student_ids", [])]
    except (ValueError, TypeError, AttributeError):
        return [delivery.student_id] if delivery.student_id else []
