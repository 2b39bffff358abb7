"""The delivery worker's side of the ``deliveries`` table: claims with a lease, results.

A claim is one short transaction: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` keeps concurrent
workers off each other's rows; on SQLite the transaction begins IMMEDIATE, so claims are
serialised. A claimed row carries ``leased_until``; a worker that dies (even ``kill -9``)
leaves it pending, and another claim takes it once the lease has run out.

Fencing: every claim bumps the row's ``lease_token``; the claim's token travels with the row.
Right before a message goes out, ``begin_sends`` marks its rows ``sending_token = token`` in
one statement that also checks the token and the lease (a worker whose lease ran out sends
nothing). A result is written only by the claim that still holds the row (``lease_token``) or
whose send it is (``sending_token``): a worker that lost its lease never overwrites the next
one's work, and one that sent while the database was away still records its send.

A row found with ``sending_token`` set and its lease gone is in doubt: its sender may have sent
it and not yet been able to say so. The claim does not send it; it waits one more lease
(``doubt_at``) for the sender to report. Only if none comes is it sent again, counted in
``unknown_sends`` with the sends that timed out: the one allowed repeat.

Times: ``due_at`` is compared with the school clock (it may be frozen in tests and demos),
``not_before`` and ``leased_until`` with the wall clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.model import DeliveryStatus, PersonRole
from core.redaction import redact
from storage.db import Database
from storage.tables import account_links, accounts, deliveries, guardian_links, leases

d = deliveries.c
_IN_CHUNK = 5000
_ACTIONS = ("sent", "retry", "park", "skip", "hold", "doubt", "release")


@dataclass(frozen=True, slots=True)
class Target:
    """The account a claimed row goes to, with what decides how and when."""

    id: int
    messenger: str
    external_id: str
    locale: str
    quiet_from: Any
    quiet_to: Any
    notify_anytime_finals: bool
    active: bool


@dataclass(frozen=True, slots=True)
class Claimed:
    id: int
    account_id: int
    kind: str
    payload: str
    role: PersonRole | None
    person_id: int | None
    student_id: int | None
    group_key: str
    broadcast_id: int | None
    attempts: int
    due_at: datetime
    leased_until: datetime
    linked: bool  # the recipient's link (and a guardian's consent) is still active
    token: int = 0  # this claim's fencing token
    sending_token: int | None = None  # an earlier claim's send, its outcome unknown
    doubt_at: datetime | None = None  # when a claim first found that send in doubt


@dataclass(frozen=True, slots=True)
class Batch:
    rows: list[Claimed]
    targets: dict[int, Target]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What happened to claimed rows; ``action`` is sent, retry, park, skip, hold, release or
    doubt (a send found in doubt: wait until ``at`` for its sender to report)."""

    held: tuple[tuple[int, int], ...]  # (row id, the claim's fencing token)
    action: str
    at: datetime | None = None  # sent_at, not_before (retry, doubt) or due_at (hold)
    message_ref: str = ""
    error: str = ""
    attempts: int | None = None
    group_key: str | None = None
    unknown: bool = False  # the send's outcome is not known (a timeout): it may have gone

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(rid for rid, _ in self.held)


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ordered = sorted(set(ids))
    return [ordered[i : i + _IN_CHUNK] for i in range(0, len(ordered), _IN_CHUNK)]


_COLUMNS = (
    d.id,
    d.account_id,
    d.kind,
    d.payload,
    d.role,
    d.person_id,
    d.student_id,
    d.group_key,
    d.broadcast_id,
    d.attempts,
    d.due_at,
    d.lease_token,
    d.sending_token,
    d.doubt_at,
)


class DeliveryQueue:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.skip_locked = not database.is_sqlite

    def _lockable(self, stmt: Any) -> Any:
        return stmt.with_for_update(skip_locked=True) if self.skip_locked else stmt

    async def claim(
        self,
        owner: str,
        school_now: datetime,
        wall_now: datetime,
        until: datetime,
        limit: int,
    ) -> Batch:
        """Lease up to ``limit`` due rows, plus every unsent row of the same account and group
        key, due or not (a group goes as one message when its first row is due: that ends a
        coalescing window, or brings the day's marks into the evening digest)."""
        free = or_(d.leased_until.is_(None), d.leased_until <= wall_now)
        async with self.database.session() as session, session.begin():
            due = self._lockable(
                select(*_COLUMNS)
                .where(
                    d.status == DeliveryStatus.PENDING,
                    d.due_at <= school_now,
                    or_(d.not_before.is_(None), d.not_before <= wall_now),
                    free,
                )
                .order_by(d.due_at, d.id)
                .limit(limit)
            )
            rows = {r.id: r for r in (await session.execute(due)).all()}
            if not rows:
                return Batch([], {})
            groups = {(r.account_id, r.group_key) for r in rows.values() if r.group_key}
            if groups:
                account_ids = sorted({a for a, _ in groups})
                for part in _chunks(account_ids):
                    more = self._lockable(
                        select(*_COLUMNS).where(
                            d.account_id.in_(part),
                            d.status == DeliveryStatus.PENDING,
                            d.group_key != "",
                            free,
                        )
                    )
                    for r in (await session.execute(more)).all():
                        if (r.account_id, r.group_key) in groups:
                            rows.setdefault(r.id, r)
            for part in _chunks(list(rows)):
                await session.execute(
                    update(deliveries)
                    .where(d.id.in_(part))
                    .values(leased_until=until, lease_owner=owner, lease_token=d.lease_token + 1)
                )
            targets = await self._targets(session, sorted({r.account_id for r in rows.values()}))
            linked = await self._linked(session, list(rows.values()))
        claimed = [
            Claimed(
                r.id,
                r.account_id,
                r.kind,
                r.payload,
                r.role,
                r.person_id,
                r.student_id,
                r.group_key,
                r.broadcast_id,
                r.attempts,
                r.due_at,
                until,
                r.id in linked,
                r.lease_token + 1,
                r.sending_token,
                r.doubt_at,
            )
            for r in sorted(rows.values(), key=lambda r: (r.due_at, r.id))
        ]
        return Batch(claimed, targets)

    async def _targets(self, session: AsyncSession, ids: list[int]) -> dict[int, Target]:
        a = accounts.c
        found: dict[int, Target] = {}
        for part in _chunks(ids):
            stmt = select(
                a.id,
                a.messenger,
                a.external_id,
                a.locale,
                a.quiet_from,
                a.quiet_to,
                a.notify_anytime_finals,
                a.active,
            ).where(a.id.in_(part))
            for r in (await session.execute(stmt)).all():
                found[r.id] = Target(*r)
        return found

    async def _linked(self, session: AsyncSession, rows: list[Any]) -> set[int]:
        """The rows whose recipient is still linked: an active account link to the person,
        and for a guardian a consented link to the child the roster still lists (checked at
        send time)."""
        al = account_links.c
        gl = guardian_links.c
        active: set[tuple[int, str, int]] = set()
        for part in _chunks([r.account_id for r in rows]):
            stmt = select(al.account_id, al.role, al.person_id).where(
                al.account_id.in_(part), al.unlinked_at.is_(None)
            )
            active |= {(x, str(role), p) for x, role, p in (await session.execute(stmt)).all()}
        pairs = {(r.person_id, r.student_id) for r in rows if r.role == PersonRole.GUARDIAN}
        consented: set[tuple[int, int]] = set()
        guardian_ids = sorted({g for g, _ in pairs if g is not None})
        for part in _chunks(guardian_ids):
            stmt = select(gl.guardian_id, gl.student_id).where(
                gl.guardian_id.in_(part), gl.consent_at.is_not(None), gl.ended_at.is_(None)
            )
            consented |= set((await session.execute(stmt)).all())
        ok: set[int] = set()
        for r in rows:
            if r.role is None:
                ok.add(r.id)
                continue
            if (r.account_id, str(r.role), r.person_id) not in active:
                continue
            if (
                r.role == PersonRole.GUARDIAN
                and r.student_id is not None
                and (r.person_id, r.student_id) not in consented
            ):
                continue
            ok.add(r.id)
        return ok

    async def begin_sends(self, held: Sequence[tuple[int, int]], wall_now: datetime) -> set[int]:
        """Mark these rows (id, claim token) as being sent, each only if that claim still holds
        it, its lease has not run out and it is still pending; returns the ids marked. A send
        that starts after this and ends unrecorded leaves its rows in doubt, never free."""
        if not held:
            return set()
        tokens = dict(held)
        mine = and_(
            d.id == bindparam("rid"),
            d.lease_token == bindparam("tok"),
            d.status == DeliveryStatus.PENDING,
            d.leased_until > wall_now,
        )
        start = (
            update(deliveries)
            .where(mine)
            .values(
                sending_token=d.lease_token,
                doubt_at=None,
                # an earlier send of it never reported: this one may repeat it
                unknown_sends=d.unknown_sends + case((d.sending_token.is_not(None), 1), else_=0),
            )
            .execution_options(synchronize_session=False)
        )
        marked: set[int] = set()
        async with self.database.session() as session, session.begin():
            await session.execute(start, [{"rid": i, "tok": t} for i, t in sorted(tokens.items())])
            for part in _chunks(list(tokens)):
                stmt = select(d.id, d.lease_token, d.sending_token).where(d.id.in_(part))
                for rid, lease_token, sending in (await session.execute(stmt)).all():
                    if lease_token == tokens[rid] and sending == tokens[rid]:
                        marked.add(rid)
        return marked

    async def apply(self, owner: str, outcomes: Sequence[Outcome], wall_now: datetime) -> None:
        """Write what happened, in one transaction; only for rows whose claim (or whose send)
        it is: a later claim's token fences every earlier holder out."""
        del owner  # the fencing token says whose it is
        tok = bindparam("tok")
        held = and_(d.id == bindparam("rid"), or_(d.lease_token == tok, d.sending_token == tok))
        # a row this claim began to send and then let go of unsent is no longer in doubt
        unsent = case((d.sending_token == tok, None), else_=d.sending_token)
        params: dict[str, list[dict[str, Any]]] = {}
        for o in outcomes:
            for rid, token in o.held:
                row: dict[str, Any] = {"rid": rid, "tok": token}
                if o.action == "sent":
                    row |= {
                        "sent_at": o.at or wall_now,
                        "message_ref": o.message_ref,
                        "attempts": o.attempts or 1,
                    }
                elif o.action == "retry":
                    row |= {
                        "not_before": o.at,
                        "attempts": o.attempts or 0,
                        "last_error": redact(o.error)[:500],
                        "unknown": int(o.unknown),
                    }
                elif o.action in ("park", "skip"):
                    row |= {
                        "attempts": o.attempts or 0,
                        "last_error": redact(o.error)[:500],
                        "unknown": int(o.unknown),
                    }
                elif o.action == "hold":
                    row |= {"due_at": o.at, "group_key": o.group_key or ""}
                elif o.action == "doubt":
                    row |= {"not_before": o.at, "doubt_at": wall_now}
                params.setdefault(o.action if o.action in _ACTIONS else "release", []).append(row)
        finished = {"leased_until": None, "sending_token": None, "doubt_at": None}
        statements = {
            "sent": {
                "status": DeliveryStatus.SENT,
                "sent_at": bindparam("sent_at"),
                "message_ref": bindparam("message_ref"),
                "attempts": bindparam("attempts"),
                "last_error": "",
                **finished,
            },
            "retry": {
                "not_before": bindparam("not_before"),
                "attempts": bindparam("attempts"),
                "last_error": bindparam("last_error"),
                "unknown_sends": d.unknown_sends + bindparam("unknown"),
                **finished,
            },
            "park": {
                "status": DeliveryStatus.PARKED,
                "attempts": bindparam("attempts"),
                "last_error": bindparam("last_error"),
                "unknown_sends": d.unknown_sends + bindparam("unknown"),
                **finished,
            },
            "skip": {
                "status": DeliveryStatus.SKIPPED,
                "attempts": bindparam("attempts"),
                "last_error": bindparam("last_error"),
                "unknown_sends": d.unknown_sends + bindparam("unknown"),
                **finished,
            },
            "hold": {
                "due_at": bindparam("due_at"),
                "group_key": bindparam("group_key"),
                "not_before": None,
                "leased_until": None,
                "sending_token": unsent,
            },
            "doubt": {
                "not_before": bindparam("not_before"),
                "doubt_at": bindparam("doubt_at"),
                "leased_until": None,
            },
            "release": {"leased_until": None, "sending_token": unsent},
        }
        if not params:
            return
        async with self.database.session() as session, session.begin():
            for action, rows in params.items():
                stmt = update(deliveries).where(held).values(**statements[action])
                await session.execute(stmt.execution_options(synchronize_session=False), rows)

    async def deactivate(self, account_ids: Sequence[int]) -> None:
        """The messenger says these users blocked the bot: no pushes until they come back."""
        if not account_ids:
            return
        async with self.database.session() as session, session.begin():
            await session.execute(
                update(accounts)
                .where(accounts.c.id.in_(sorted(set(account_ids))))
                .values(active=False)
            )

    async def broadcast_stats(self, broadcast_id: int) -> dict[str, int]:
        """Counts of a broadcast's recipient rows by outcome, and reads."""
        stmt = (
            select(d.status, func.count(), func.count(d.read_at))
            .where(d.broadcast_id == broadcast_id, d.kind == "broadcast")
            .group_by(d.status)
        )
        async with self.database.session(readonly=True) as session:
            rows = (await session.execute(stmt)).all()
        counts = {str(status): n for status, n, _ in rows}
        failed = sum(
            counts.get(s, 0)
            for s in (DeliveryStatus.PARKED, DeliveryStatus.SKIPPED, DeliveryStatus.SUPERSEDED)
        )
        return {
            "total": sum(n for _, n, _ in rows),
            "sent": counts.get(DeliveryStatus.SENT, 0),
            "pending": counts.get(DeliveryStatus.PENDING, 0),
            "failed": failed,
            "read": sum(r for _, _, r in rows),
        }

    async def progress_message(self, broadcast_id: int) -> tuple[str, str, str, str, str] | None:
        """(chat id, message id, locale, payload, messenger) of a broadcast's sent progress
        message."""
        a = accounts.c
        stmt = (
            select(a.external_id, d.message_ref, a.locale, d.payload, a.messenger)
            .select_from(deliveries)
            .join(accounts, a.id == d.account_id)
            .where(
                d.broadcast_id == broadcast_id,
                d.kind == "broadcast_progress",
                d.status == DeliveryStatus.SENT,
            )
            .limit(1)
        )
        async with self.database.session(readonly=True) as session:
            row = (await session.execute(stmt)).first()
        return tuple(row) if row and row[1] else None  # type: ignore[return-value]

    async def count(self, status: DeliveryStatus | None = None) -> int:
        stmt = select(func.count()).select_from(deliveries)
        if status is not None:
            stmt = stmt.where(d.status == status)
        async with self.database.session(readonly=True) as session:
            return int((await session.execute(stmt)).scalar_one())


class DbLease:
    """A named lease row: whoever holds it (and keeps renewing it) is the one active holder.

    ``acquire`` takes a free or expired lease, or renews one already held; it is one
    conditional UPDATE (or the first INSERT), so two contenders never both win.
    """

    def __init__(self, database: Database, name: str, owner: str, seconds: float) -> None:
        self.database = database
        self.name = name
        self.owner = owner
        self.seconds = seconds

    async def acquire(self, now: datetime) -> bool:
        until = now + timedelta(seconds=self.seconds)
        c = leases.c
        take = (
            update(leases)
            .where(
                c.name == self.name,
                or_(c.owner == self.owner, c.until.is_(None), c.until <= now),
            )
            .values(owner=self.owner, until=until)
        )
        async with self.database.session() as session, session.begin():
            if (await session.execute(take)).rowcount == 1:
                return True
            values = {"name": self.name, "owner": self.owner, "until": until}
            if self.database.is_sqlite:
                stmt = sqlite_insert(leases).values(**values).on_conflict_do_nothing()
            else:
                stmt = pg_insert(leases).values(**values).on_conflict_do_nothing()
            if (await session.execute(stmt)).rowcount == 1:
                return True
            # The row is there: held by someone else, or made meanwhile by another transaction
            # (PostgreSQL: this insert waited for it) — maybe this owner's own other call (the
            # scheduler's renewal beside a job), which must not read as "held by someone
            # else". Take it as the first statement would have, now that it sees the row.
            return (await session.execute(take)).rowcount == 1

    async def release(self) -> None:
        c = leases.c
        async with self.database.session() as session, session.begin():
            await session.execute(
                update(leases)
                .where(c.name == self.name, c.owner == self.owner)
                .values(until=None, owner="")
            )
