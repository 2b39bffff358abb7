"""Each push once: a send begins only under a valid lease, results are fenced by the claim's
token, a send whose result never came is waited for before it goes again (and then counted),
and a timeout is the other counted repeat."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core import model as m
from notifications.sender import Unknown
from notifications.worker import WorkerSettings
from storage.delivery_queue import Outcome
from storage.tables import deliveries
from tests.notifications.conftest import FAST, MOTHER, TEACHER, Net

S = m.DeliveryStatus
LEASE = 30.0
SETTINGS = WorkerSettings(rate=None, per_chat=0, poll=0.05, backoff=0.01, lease=LEASE)


async def _mark_for_mother(net: Net) -> None:
    """One push to Иванов's mother only (his own account unlinked first)."""
    async with net.database.uow() as uow:
        for link in await uow.account_links.active_for_account(2):
            link.unlinked_at = net.clock.now()
        await uow.commit()
    teacher = await net.viewer(TEACHER)
    await net.journal.give_mark(
        teacher, net.s.lesson_today.id, net.s.ivanov.id, m.MarkValue.FIVE, net.s.oral.id
    )


async def _fence(net: Net) -> list[dict]:
    d = deliveries.c
    stmt = select(
        d.id, d.status, d.lease_token, d.sending_token, d.doubt_at, d.unknown_sends
    ).order_by(d.id)
    async with net.database.session(readonly=True) as session:
        return [dict(r._mapping) for r in (await session.execute(stmt)).all()]


async def _claim(net: Net, owner: str):  # type: ignore[no-untyped-def]
    wall = net.wall()
    return await net.queue.claim(owner, net.clock.now(), wall, wall + timedelta(seconds=LEASE), 10)


async def test_a_send_begins_only_under_the_claim_that_holds_a_live_lease(net: Net) -> None:
    await _mark_for_mother(net)
    first = await _claim(net, "a")
    held = [(r.id, r.token) for r in first.rows]
    net.wall.advance(LEASE + 1)
    assert await net.queue.begin_sends(held, net.wall()) == set()  # the lease ran out
    second = await _claim(net, "b")
    assert [r.token for r in second.rows] == [t + 1 for _, t in held]
    assert await net.queue.begin_sends(held, net.wall()) == set()  # another claim holds it
    mine = [(r.id, r.token) for r in second.rows]
    assert await net.queue.begin_sends(mine, net.wall()) == {mine[0][0]}
    # the first holder's late result is fenced out; the second's is written
    await net.queue.apply("a", [Outcome(tuple(held), "park", error="late")], net.wall())
    assert (await _fence(net))[0]["status"] == S.PENDING
    await net.queue.apply("b", [Outcome(tuple(mine), "sent", message_ref="7")], net.wall())
    (row,) = await _fence(net)
    assert row["status"] == S.SENT and row["sending_token"] is None and row["unknown_sends"] == 0


async def test_a_send_whose_result_came_late_is_not_sent_again(net: Net) -> None:
    """Worker A sent, then could not write its result (the database was away) until after its
    lease had run out and worker B had claimed the row: B waits, A's result lands, B sends
    nothing."""
    await _mark_for_mother(net)
    batch = await _claim(net, "a")
    held = tuple((r.id, r.token) for r in batch.rows)
    assert await net.queue.begin_sends(held, net.wall()) == {held[0][0]}
    # ... A sends; the database goes away; A's lease runs out
    net.wall.advance(LEASE + 1)
    b = net.worker(SETTINGS)
    await b.run_until_idle()
    assert net.sender.sent == [] and b.stats["in_doubt"] == 1
    (row,) = await _fence(net)
    assert row["doubt_at"] is not None and row["sending_token"] == held[0][1]
    # the database is back: A writes what it did, with the token of its send
    await net.queue.apply("a", [Outcome(held, "sent", message_ref="1")], net.wall())
    net.wall.advance(LEASE + 1)
    await b.run_until_idle()
    assert net.sender.sent == []
    (row,) = await _fence(net)
    assert row["status"] == S.SENT and row["unknown_sends"] == 0


async def test_a_send_whose_sender_never_reports_goes_again_counted(net: Net) -> None:
    await _mark_for_mother(net)
    batch = await _claim(net, "a")
    held = tuple((r.id, r.token) for r in batch.rows)
    await net.queue.begin_sends(held, net.wall())  # ... and A dies, its send unknown
    net.wall.advance(LEASE + 1)
    b = net.worker(SETTINGS)
    await b.run_until_idle()
    assert net.sender.sent == []  # it waits a lease for A
    net.wall.advance(LEASE / 2)
    await b.run_until_idle()
    assert net.sender.sent == []
    net.wall.advance(LEASE / 2 + 1)
    await b.run_until_idle()
    assert len(net.sender.to(MOTHER)) == 1 and b.stats["resent_in_doubt"] == 1
    (row,) = await _fence(net)
    assert row["status"] == S.SENT and row["unknown_sends"] == 1


async def test_a_timeout_is_retried_and_counted_as_a_possible_repeat(net: Net) -> None:
    await _mark_for_mother(net)
    net.sender.fail(MOTHER, Unknown("Request timeout error"))
    worker = net.worker(FAST)
    await worker.run_until_idle()
    assert net.sender.sent == [] and worker.stats["unknown"] == 1
    net.wall.advance(60)
    await worker.run_until_idle()
    assert len(net.sender.to(MOTHER)) == 1
    (row,) = await _fence(net)
    assert row["status"] == S.SENT and row["unknown_sends"] == 1


async def test_nothing_is_sent_while_the_database_cannot_mark_the_send(net: Net) -> None:
    await _mark_for_mother(net)
    worker = net.worker(SETTINGS)

    async def away(held, wall):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("the database is away")

    real, net.queue.begin_sends = net.queue.begin_sends, away  # type: ignore[method-assign]
    await worker.run_until_idle()
    assert net.sender.sent == [] and worker.stats["not_begun"] == 1
    net.queue.begin_sends = real  # type: ignore[method-assign]
    await worker.run_until_idle()  # released, not in doubt: it goes at once
    assert len(net.sender.to(MOTHER)) == 1
    (row,) = await _fence(net)
    assert row["status"] == S.SENT and row["unknown_sends"] == 0
