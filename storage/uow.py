"""The SQL unit of work: one session, one transaction; on commit the fan-out turns the emitted
events into delivery rows in that same transaction (the ``deliveries`` table is the outbox)."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

from sqlalchemy.ext.asyncio import AsyncSession

from core.events import Event
from core.ports import EventFanout
from storage import repositories as r
from storage.tables import map_entities


class ReadOnlyUnitOfWorkError(RuntimeError):
    """A read-only unit of work was asked to write."""


class SqlUnitOfWork:
    """``core.ports.UnitOfWork`` over an ``AsyncSession``; rolls back unless committed.

    Entities it loads stay attached until the unit of work ends, so changing one and
    committing saves it; afterwards they are plain detached dataclasses, still readable.
    """

    schools: r.Schools
    work_types: r.WorkTypes
    years: r.Years
    periods: r.Periods
    holidays: r.Holidays
    bells: r.Bells
    subjects: r.Subjects
    classes: r.Classes
    subgroups: r.Subgroups
    staff: r.StaffMembers
    staff_roles: r.StaffRoles
    teachings: r.Teachings
    students: r.Students
    class_history: r.ClassHistory
    guardians: r.Guardians
    guardian_links: r.GuardianLinks
    timetable: r.Timetable
    lessons: r.Lessons
    homework: r.HomeworkItems
    marks: r.Marks
    attendance: r.Attendance
    finals: r.Finals
    remarks: r.Remarks
    journal_remarks: r.JournalRemarks
    audit: r.Audit
    invites: r.Invites
    accounts: r.Accounts
    account_links: r.AccountLinks
    deliveries: r.Deliveries
    broadcasts: r.Broadcasts
    letters: r.Letters
    final_acks: r.FinalAcks
    printouts: r.Printouts

    def __init__(
        self, session: AsyncSession, *, readonly: bool = False, fanout: EventFanout | None = None
    ) -> None:
        map_entities()
        self.session = session
        self.readonly = readonly
        self.fanout = fanout
        self._events: list[Event] = []

    def __getattr__(self, name: str) -> Any:
        # Repositories are made on first use: a diary read touches three of the 29.
        repo = r.REPOSITORIES.get(name)
        if repo is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        made = repo(self.session)
        setattr(self, name, made)
        return made

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back whatever was not committed and detaches the loaded entities
        # without expiring them, so they stay readable.
        self._events.clear()
        await self.session.close()

    def emit(self, event: Event) -> None:
        self._events.append(event)

    @property
    def pending_events(self) -> tuple[Event, ...]:
        return tuple(self._events)

    async def commit(self) -> None:
        session = self.session
        if self.readonly:
            changed = any(session.is_modified(o) for o in session.dirty)
            if self._events or session.new or session.deleted or changed:
                raise ReadOnlyUnitOfWorkError("a read-only unit of work cannot write")
        elif self._events and self.fanout is not None:
            # The pushes are written with the change that causes them; without a fan-out
            # (a read-only tool, a benchmark of the journal alone) events have no reader.
            await self.fanout.fan_out(self, tuple(self._events))
        await session.commit()
        if self._events and self.fanout is not None:
            self.fanout.committed()
        self._events.clear()

    async def rollback(self) -> None:
        self._events.clear()
        # Detach first: a rollback would expire the loaded entities, and an expired entity
        # cannot be read once the session is gone.
        self.session.expunge_all()
        await self.session.rollback()
