"""Access on record (152-FZ; 001 §3.1): who did or read what, whose, when and from where.

Changes are written by the use case in the transaction of the change. Reads by staff of
someone else's data are noted in memory (``ReadLog.note``) and written in batches off the
answer's path; a crash loses at most the reads of one batch interval.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple, Protocol

from core.access import Viewer
from core.model import AuditEntry


def actor(viewer: Viewer) -> dict[str, object]:
    """Who acts and from where, as the audit entry's fields."""
    return {
        "actor_id": viewer.staff_id,
        "account_id": viewer.account_id,
        "channel": viewer.channel,
    }


def change(
    viewer: Viewer,
    at: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    **fields: object,
) -> AuditEntry:
    """A change, to be added in the same unit of work as the change itself."""
    return AuditEntry(
        at,
        action=action,
        entity=entity,
        entity_id=entity_id,
        **actor(viewer),
        **fields,  # type: ignore[arg-type]
    )


def is_audited_read(viewer: Viewer, student_id: int | None = None) -> bool:
    """Staff (or the administrator at the console) reading someone else's data. A student
    reading their own diary, a parent their child's, and the scheduled jobs leave no entry."""
    if viewer.system:
        return bool(viewer.channel)  # the console is audited; pushes and jobs are not
    if viewer.staff_id is None:
        return False
    return student_id is None or (
        student_id != viewer.student_id and student_id not in viewer.children
    )


class Read(NamedTuple):
    """A read as noted on the answer's path: a plain tuple, cheap to make (an ``AuditEntry``
    is made only when the batch is written)."""

    at: datetime
    actor_id: int | None
    account_id: int | None
    channel: str
    action: str
    entity: str
    entity_id: int | None
    student_id: int | None
    after: str

    def entry(self) -> AuditEntry:
        return AuditEntry(
            self.at,
            self.actor_id,
            self.action,
            self.entity,
            self.entity_id,
            student_id=self.student_id,
            after=self.after,
            account_id=self.account_id,
            channel=self.channel,
            is_read=True,
        )


class ReadLog(Protocol):
    """Takes a read to be written later, in a batch; never blocks and never fails."""

    def note(self, read: Read) -> None: ...


class NoReads:
    """Reads are not recorded (unit tests, scheduled jobs)."""

    def note(self, read: Read) -> None:
        return None


NO_READS: ReadLog = NoReads()


def note_read(
    reads: ReadLog,
    viewer: Viewer,
    at: datetime,
    action: str,
    entity: str,
    entity_id: int | None,
    student_id: int | None = None,
    after: str = "",
) -> None:
    """Note a read if it is one the log keeps (``is_audited_read``)."""
    if not is_audited_read(viewer, student_id):
        return
    reads.note(
        Read(
            at,
            viewer.staff_id,
            viewer.account_id,
            viewer.channel,
            action,
            entity,
            entity_id,
            student_id,
            after,
        )
    )
