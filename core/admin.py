"""The administration's reading of the audit log (rule 4: corrections stay visible; 152-FZ:
who looked at a child's data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core import access, audit
from core.access import Viewer
from core.audit import NO_READS, Read, ReadLog
from core.clock import Clock
from core.errors import ValidationFailed
from core.model import AuditEntry
from core.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class AdminService:
    """Audit log per student or per teacher: the director, deputy and admin (001 §3.1).
    Reading the log is itself on record."""

    uow: UnitOfWorkFactory
    clock: Clock
    reads: ReadLog = NO_READS

    async def audit(
        self, viewer: Viewer, student_id: int | None = None, staff_id: int | None = None
    ) -> list[AuditEntry]:
        """The changes concerning a student or made by a member of staff; who looked at a
        child's data is ``looked``."""
        return await self._entries(viewer, student_id, staff_id, reads=False)

    async def looked(self, viewer: Viewer, student_id: int) -> list[AuditEntry]:
        """Who looked at this child's data: each read by staff or at the console."""
        return await self._entries(viewer, student_id, None, reads=True)

    async def _entries(
        self,
        viewer: Viewer,
        student_id: int | None,
        staff_id: int | None,
        reads: bool = False,
    ) -> list[AuditEntry]:
        access.require_private(viewer)
        access.require_administration(viewer)
        if (student_id is None) == (staff_id is None):
            raise ValidationFailed("audit", "student_or_teacher")
        async with self.uow(readonly=True) as uow:
            if student_id is not None:
                entries = await uow.audit.for_student(student_id, reads=reads)
            else:
                done = await uow.audit.for_actor(staff_id)  # type: ignore[arg-type]
                entries = [e for e in done if e.is_read == reads]
        audit.note_read(
            self.reads,
            viewer,
            self.clock.now(),
            "audit.view",
            "student" if student_id is not None else "staff",
            student_id if student_id is not None else staff_id,
            student_id=student_id,
            after="reads" if reads else "",
        )
        return sorted(entries, key=lambda e: (e.at, e.id or 0))

    async def record_reads(self, reads: Sequence[Read]) -> None:
        """A batch of reads noted by the screens, in one transaction."""
        if not reads:
            return
        async with self.uow() as uow:
            await uow.audit.add_all([r.entry() for r in reads])
            await uow.commit()
