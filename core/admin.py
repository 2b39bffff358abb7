"""The administration's reading of the audit log (rule 4: corrections stay visible)."""

from __future__ import annotations

from dataclasses import dataclass

from core import access
from core.access import Viewer
from core.clock import Clock
from core.errors import ValidationFailed
from core.model import AuditEntry
from core.ports import UnitOfWorkFactory


@dataclass(frozen=True, slots=True)
class AdminService:
    """Audit log per student or per teacher: the director, deputy and admin (001 §3.1)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def audit(
        self, viewer: Viewer, student_id: int | None = None, staff_id: int | None = None
    ) -> list[AuditEntry]:
        access.require_private(viewer)
        access.require_administration(viewer)
        if (student_id is None) == (staff_id is None):
            raise ValidationFailed("audit", "student_or_teacher")
        async with self.uow(readonly=True) as uow:
            if student_id is not None:
                entries = await uow.audit.for_student(student_id)
            else:
                entries = await uow.audit.for_actor(staff_id)  # type: ignore[arg-type]
        return sorted(entries, key=lambda e: (e.at, e.id or 0))
