"""The delivery worker: claims due rows with a lease, sends them under the rate limits, and
records each outcome.

Semantics, per row:
- sent through the recipient account's messenger (one ``Sender`` each: "telegram", "max"),
  once the messenger accepted it, recorded right after the answer (results are written in
  small group commits, so a send is confirmed within milliseconds); each messenger has its
  own pace (``Pace``) and its own dispatch loop, so one that is slow or throttled never holds
  up the other; an account whose messenger has no sender here is skipped with the reason;
- a worker killed mid-way loses nothing: its claimed rows stay pending and are taken again
  when their lease has run out; a row is never sent by a worker whose lease is running out;
- 429 waits ``retry_after`` (that chat only; on MAX, whose limit is the bot's, the whole
  messenger) and tries again; network errors, timeouts and
  5xx back off exponentially with jitter (each wait is 50-100 % of its step), ``max_attempts``
  times in all, then the row is parked with its reason; 400 parks at once; 403 marks the
  account inactive and skips its rows;
- rows whose recipient unlinked (or a guardian whose consent is gone) are skipped;
- during the recipient's quiet hours rows are held (never dropped) until the hours end, and
  then come as one digest; rows of one account and group key go as one message.

Each push once (``storage.delivery_queue``): a message goes out only after its rows were
marked as being sent under a valid lease (``begin_sends``, a group commit like the results);
if the database is away at that moment nothing is sent. Results carry the claim's fencing
token, so a worker whose lease ran out never writes over the next claim's work. A send whose
result could not be written (the database went away, the process died) leaves its rows in
doubt: the next claim waits one more lease for its sender to report, and only then sends it
again, counted. A send that timed out may have been delivered too; it is retried and counted
(``unknown_sends`` on the row, ``stats["unknown"]`` here). Those are the only repeats.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count

from core.clock import Clock
from notifications import policy
from notifications.fanout import Wall, utc_now
from notifications.files import GENERATED, FileRefused, PushFiles
from notifications.limiter import Pacer
from notifications.render import Item, context, progress_buttons, progress_text, render
from notifications.sender import (
    BadRequest,
    Blocked,
    Outgoing,
    RetryLater,
    Sender,
    Transient,
    Unknown,
    send,
)
from storage.delivery_queue import Batch, Claimed, DeliveryQueue, Outcome, Target

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Pace:
    """One messenger's limits: ``rate`` messages per ``window`` in all (None: no limit),
    ``per_chat`` seconds between two messages to one chat; with ``throttle_all`` a 429 pauses
    every send of the messenger (its limit is the bot's), not only that chat's."""

    rate: int | None = 30
    window: float = 1.03
    per_chat: float = 1.05
    throttle_all: bool = False


# MAX: about 30 requests a second in all and 2 a second per chat; its 429 says nothing of a
# chat (and comes without retry_after), so it pauses the whole messenger.
MAX_PACE = Pace(rate=30, window=1.03, per_chat=0.53, throttle_all=True)


def _paces() -> dict[str, Pace]:
    return {"max": MAX_PACE}


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    batch: int = 500  # rows per claim
    lease: float = 60.0  # seconds a claim is ours; a dead worker's rows return after it
    lease_margin: float = -1.0  # never start a send this close to the lease's end (-1: auto)
    poll: float = 0.5  # seconds between claims when idle (other processes write too)
    rate: int | None = 30  # messages per ``window`` overall; None: no limit
    window: float = 1.03  # the 3 % over a second absorb network jitter
    per_chat: float = 1.05  # seconds between two messages to one chat
    concurrency: int = 16  # requests in flight
    max_attempts: int = 5  # network errors, timeouts, 5xx
    max_throttled: int = 20  # 429s
    backoff: float = 2.0  # first back-off, doubled each attempt, with full jitter
    backoff_cap: float = 600.0
    progress_every: float = 3.0  # seconds between edits of a broadcast's progress
    # each other messenger's own pace; one not named here goes at rate/window/per_chat above
    # (Telegram's: about 30 messages a second in bulk, 1 a second per chat)
    paces: Mapping[str, Pace] = field(default_factory=_paces)

    def pace(self, messenger: str) -> Pace:
        found = self.paces.get(messenger)
        return found if found is not None else Pace(self.rate, self.window, self.per_chat)

    def __post_init__(self) -> None:
        if self.lease_margin < 0:  # 5 s, or a quarter of a short lease
            object.__setattr__(self, "lease_margin", min(5.0, self.lease / 4))
        if self.lease <= 2 * self.lease_margin:
            raise ValueError("the lease must be longer than twice its margin")


@dataclass(slots=True)
class _Message:
    messenger: str
    chat: str  # the messenger's chat id
    account_id: int
    rows: list[Claimed]
    outgoing: Outgoing
    deadline: datetime  # the lease's end, minus the margin

    @property
    def ids(self) -> tuple[int, ...]:
        return tuple(r.id for r in self.rows)

    @property
    def held(self) -> tuple[tuple[int, int], ...]:
        return _held(self.rows)

    @property
    def attempts(self) -> int:
        return max(r.attempts for r in self.rows)


class _Lane:
    """One messenger's side of the dispatcher: its sender, its pace, its chats' queues and
    its own loop, so a messenger that is slow or throttled never holds up another."""

    def __init__(
        self, sender: Sender, pace: Pace, concurrency: int, monotonic: Callable[[], float]
    ) -> None:
        self.sender = sender
        self.pace = pace
        self.pacer = Pacer(pace.rate, pace.window, monotonic)
        self.sem = asyncio.Semaphore(concurrency)
        self.ready = asyncio.Event()  # something new to dispatch
        self.queues: dict[str, deque[_Message]] = {}
        self.heap: list[tuple[float, int, str]] = []
        self.scheduled: set[str] = set()  # chats with an entry in the heap
        self.chat_next: dict[str, float] = {}
        self.chat_sent: dict[str, float] = {}  # when the last send to a chat really began


def _held(rows: list[Claimed]) -> tuple[tuple[int, int], ...]:
    return tuple((r.id, r.token) for r in rows)


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class DeliveryWorker:
    def __init__(
        self,
        queue: DeliveryQueue,
        senders: Mapping[str, Sender],
        clock: Clock,
        settings: WorkerSettings | None = None,
        *,
        owner: str | None = None,
        wall: Wall = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
        rand: Callable[[], float] = random.random,
        files: PushFiles | None = None,
    ) -> None:
        self.queue = queue
        self.files = files  # makes the files pushes name at send time (notifications.files)
        self.senders = dict(senders)  # by messenger: "telegram", "max"
        self.clock = clock
        self.settings = settings or WorkerSettings()
        self.owner = owner or new_owner()
        self.wall = wall
        self.monotonic = monotonic
        self.rand = rand
        self.stats: Counter[str] = Counter()
        self._lanes = {
            name: _Lane(sender, self.settings.pace(name), self.settings.concurrency, monotonic)
            for name, sender in self.senders.items()
        }
        self._wake = asyncio.Event()
        self._room = asyncio.Event()  # the backlog went down
        self._applied = asyncio.Condition()
        self._seq = count()
        self._backlog = 0  # messages claimed, not yet finished
        self._results: asyncio.Queue[Outcome] = asyncio.Queue()
        self._inflight: set[asyncio.Task[None]] = set()
        self._blocked_now: set[int] = set()  # accounts that answered 403, to deactivate
        self._broadcast_of: dict[int, int] = {}  # claimed row id -> its broadcast
        self._dirty: set[int] = set()  # broadcasts whose progress message is behind
        self._dirty_event = asyncio.Event()
        self._starting: list[tuple[_Message, asyncio.Future[bool]]] = []  # sends to mark
        self._start_event = asyncio.Event()

    # --- public ------------------------------------------------------------------------------

    def wake(self) -> None:
        """New rows were committed in this process: claim now instead of at the next poll."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Claim, send and record until ``stop`` is set; then let go of what was not sent."""
        tasks = self._start()
        low_water = max(self.settings.batch // 2, 1)
        try:
            while not stop.is_set():
                if self._backlog < low_water:
                    try:
                        claimed = await self._claim()
                    except Exception:  # the database is away: try again at the next poll
                        logger.exception("claiming deliveries failed")
                        claimed = 0
                    if claimed:
                        continue
                    waiters = [self._wake.wait(), stop.wait()]
                else:
                    waiters = [self._room.wait(), stop.wait()]
                await _first(waiters, self.settings.poll)
                self._wake.clear()
                self._room.clear()
        finally:
            await self._shutdown(tasks)

    async def run_until_idle(self) -> None:
        """Send everything due now, then return (tests, benchmarks, one-shot runs)."""
        tasks = self._start()
        try:
            while True:
                released = self.stats["release"]
                claimed = await self._claim()
                await self._settle()
                if not claimed or self.stats["release"] - released >= claimed:
                    break  # nothing due, or nothing could go before its lease ran out
        finally:
            await self._shutdown(tasks)

    def _start(self) -> list[asyncio.Task[None]]:
        return [
            *(
                asyncio.create_task(self._dispatch_loop(lane), name=f"delivery-dispatch-{name}")
                for name, lane in self._lanes.items()
            ),
            asyncio.create_task(self._ack_loop(), name="delivery-ack"),
            asyncio.create_task(self._progress_loop(), name="delivery-progress"),
            asyncio.create_task(self._begin_loop(), name="delivery-begin"),
        ]

    async def wait_for(
        self, predicate: Callable[[Counter[str]], bool], seconds: float = 30.0
    ) -> None:
        """Until ``predicate(stats)`` holds after some outcomes were recorded."""
        async with asyncio.timeout(seconds), self._applied:
            await self._applied.wait_for(lambda: predicate(self.stats))

    # --- claiming ----------------------------------------------------------------------------

    async def _claim(self) -> int:
        wall = self.wall()
        batch = await self.queue.claim(
            self.owner,
            self.clock.now(),
            wall,
            wall + timedelta(seconds=self.settings.lease),
            self.settings.batch,
        )
        if not batch.rows:
            return 0
        self.stats["claimed"] += len(batch.rows)
        outcomes, messages = await self._prepare(batch)
        for outcome in outcomes:
            self._results.put_nowait(outcome)
        for message in messages:
            self._enqueue(message)
        return len(batch.rows)

    async def _prepare(self, batch: Batch) -> tuple[list[Outcome], list[_Message]]:
        """Decide for each claimed row: skip, hold, or which message it goes in."""
        outcomes: list[Outcome] = []
        messages: list[_Message] = []
        now = self.clock.now()
        by_account: dict[int, list[Claimed]] = {}
        for row in self._settle_doubts(batch.rows, outcomes):
            by_account.setdefault(row.account_id, []).append(row)
            if row.broadcast_id:
                self._broadcast_of[row.id] = row.broadcast_id
        for account_id, rows in by_account.items():
            target = batch.targets.get(account_id)
            if target is None or not target.active:
                why = "blocked" if target is not None else "no account"
                outcomes.append(Outcome(_held(rows), "skip", error=why))
                continue
            if target.messenger not in self._lanes:
                # The school runs without this messenger (MAX turned off, or not yet on): the
                # rows are skipped with the reason, not kept. Kept, they would pile up for as
                # long as it stays off and then arrive as a flood of stale news; skipped, they
                # stay in the history with why, and the person's other messenger (if linked)
                # is where the fan-out sends anyway once this account is not the chosen one.
                outcomes.append(Outcome(_held(rows), "skip", error=f"no {target.messenger}"))
                continue
            gone = _held([r for r in rows if not r.linked])
            if gone:
                outcomes.append(Outcome(gone, "skip", error="unlinked"))
            rows = [r for r in rows if r.linked]
            end = policy.quiet_end(
                now.astimezone(self.clock.tz), target.quiet_from, target.quiet_to
            )
            if end is not None:
                held = [r for r in rows if not policy.anytime(r.kind, target.notify_anytime_finals)]
                for row in held:
                    outcomes.append(
                        Outcome(
                            _held([row]),
                            "hold",
                            at=end,
                            group_key=policy.held_group(row.kind, row.group_key),
                        )
                    )
                rows = [r for r in rows if r not in held]
            groups: dict[str, list[Claimed]] = {}
            for row in rows:
                groups.setdefault(row.group_key or f"#{row.id}", []).append(row)
            for key, group in groups.items():
                try:
                    outgoing = await self._render(target, key, group)
                except FileRefused as exc:  # the recipient may no longer have it
                    outcomes.append(Outcome(_held(group), "skip", error=f"file: {exc}"))
                    continue
                except Exception as exc:  # a bug or a broken payload: park, do not loop
                    logger.exception("rendering deliveries %s failed", [r.id for r in group])
                    outcomes.append(Outcome(_held(group), "park", error=f"render: {exc!r}"))
                    continue
                deadline = min(r.leased_until for r in group) - timedelta(
                    seconds=self.settings.lease_margin
                )
                messages.append(
                    _Message(
                        target.messenger, target.external_id, account_id, group, outgoing, deadline
                    )
                )
        return outcomes, messages

    def _settle_doubts(self, rows: list[Claimed], outcomes: list[Outcome]) -> list[Claimed]:
        """The rows to send now. A row whose earlier send never reported waits one more lease
        for its sender (who may have sent it while the database was away) before it goes
        again; the repeat is counted when it starts."""
        wall = self.wall()
        grace = timedelta(seconds=self.settings.lease)
        ready: list[Claimed] = []
        for row in rows:
            if row.sending_token is None:
                ready.append(row)
            elif row.doubt_at is None:
                self.stats["in_doubt"] += 1
                outcomes.append(Outcome(_held([row]), "doubt", at=wall + grace))
            elif row.doubt_at + grace > wall:
                outcomes.append(Outcome(_held([row]), "release"))
            else:
                self.stats["resent_in_doubt"] += 1
                ready.append(row)
        return ready

    async def _render(self, target: Target, key: str, rows: list[Claimed]) -> Outgoing:
        items = []
        for r in rows:
            item = Item.parse(
                r.id,
                r.kind,
                r.payload,
                r.student_id,
                r.broadcast_id,
                r.role.value if r.role else None,
            )
            if r.kind == "broadcast_progress" and r.broadcast_id:
                item.data.update(await self.queue.broadcast_stats(r.broadcast_id))
            items.append(item)
        rendered = render(items, target.locale, key)
        item = rendered.attachment
        if item is not None and item.kind == GENERATED:
            if self.files is None:
                raise RuntimeError("a push names a generated file but no file maker is set")
            made = await self.files.build(
                item.ref, target.messenger, target.external_id, target.locale
            )
            return Outgoing(
                target.external_id, rendered.text, rendered.buttons, file=(made.name, made.data)
            )
        return Outgoing(target.external_id, rendered.text, rendered.buttons, rendered.attachment)

    # --- dispatching -------------------------------------------------------------------------

    def _enqueue(self, message: _Message) -> None:
        self._backlog += 1
        lane = self._lanes[message.messenger]
        lane.queues.setdefault(message.chat, deque()).append(message)
        self._schedule(lane, message.chat)
        lane.ready.set()

    def _schedule(self, lane: _Lane, chat: str) -> None:
        """One entry per chat in the heap, at the time the chat may get its next message."""
        if chat in lane.scheduled:
            return
        lane.scheduled.add(chat)
        ready = max(self.monotonic(), lane.chat_next.get(chat, 0.0))
        heapq.heappush(lane.heap, (ready, next(self._seq), chat))

    async def _dispatch_loop(self, lane: _Lane) -> None:
        per_chat = lane.pace.per_chat
        while True:
            if not lane.heap:
                lane.ready.clear()
                await lane.ready.wait()
                continue
            ready_at, _, chat = lane.heap[0]
            delay = ready_at - self.monotonic()
            if delay > 0:
                lane.ready.clear()
                await _first([lane.ready.wait()], delay)
                continue
            heapq.heappop(lane.heap)
            lane.scheduled.discard(chat)
            queue = lane.queues.get(chat)
            if not queue:
                lane.queues.pop(chat, None)
                continue
            if lane.chat_next.get(chat, 0.0) > self.monotonic():
                self._schedule(lane, chat)  # the chat was paused after this entry was made
                continue
            message = queue.popleft()
            if self.wall() >= message.deadline:  # let it go at once: it costs no send
                self._results.put_nowait(Outcome(message.held, "release"))
                self._done()
                if queue:
                    self._schedule(lane, chat)
                continue
            # a free slot first, then the pace (marking the send in between takes only a
            # group commit: sending soon after it keeps the window of doubt short)
            await lane.sem.acquire()
            await lane.pacer.acquire()
            task = asyncio.create_task(self._send(lane, message))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
            now = self.monotonic()
            lane.chat_next[chat] = now + per_chat
            if queue:
                self._schedule(lane, chat)
            else:
                lane.queues.pop(chat, None)
            if len(lane.chat_next) > 10_000:
                lane.chat_next = {k: v for k, v in lane.chat_next.items() if v > now}
                old = now - per_chat
                lane.chat_sent = {k: v for k, v in lane.chat_sent.items() if v > old}

    async def _send(self, lane: _Lane, message: _Message) -> None:
        # The chat's pace counts from when this send really starts: the task may start a
        # little after it was scheduled, and the next message must still wait a full interval.
        started = self.monotonic() + lane.pace.per_chat
        lane.chat_next[message.chat] = max(lane.chat_next.get(message.chat, 0.0), started)
        try:
            outcome = await self._attempt(lane, message)
        finally:
            lane.sem.release()
        self._results.put_nowait(outcome)
        self._done()

    async def _begin(self, message: _Message) -> bool:
        """Whether the message may go: its rows marked as being sent under a valid lease."""
        started: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._starting.append((message, started))
        self._start_event.set()
        return await started

    async def _begin_loop(self) -> None:
        """One group commit marks every message about to go since the previous one."""
        while True:
            await self._start_event.wait()
            self._start_event.clear()
            waiting, self._starting = self._starting, []
            if not waiting:
                continue
            held = [pair for message, _ in waiting for pair in message.held]
            try:
                marked = await self.queue.begin_sends(held, self.wall())
            except asyncio.CancelledError:
                for _, started in waiting:
                    started.cancel()
                raise
            except Exception:  # the database is away: nothing goes out
                logger.warning("marking %d sends failed: they wait", len(waiting), exc_info=True)
                marked = set()
            for message, started in waiting:
                if not started.done():
                    started.set_result(all(rid in marked for rid in message.ids))

    async def _attempt(self, lane: _Lane, message: _Message) -> Outcome:
        ids = message.held
        if self.wall() >= message.deadline:
            return Outcome(ids, "release")  # the lease is running out: let another claim it
        if not await self._begin(message):
            self.stats["not_begun"] += 1
            return Outcome(ids, "release")  # not ours any more, or the database is away
        # marking takes a moment that varies: a chat's pace counts from the real sends
        gap = lane.chat_sent.get(message.chat, -1e9) + lane.pace.per_chat - self.monotonic()
        if gap > 0:
            await asyncio.sleep(gap)
        if self.wall() >= message.deadline:
            return Outcome(ids, "release")  # that took the lease's margin: let it go
        lane.chat_sent[message.chat] = self.monotonic()
        attempts = message.attempts + 1
        try:
            ref = await send(lane.sender, message.outgoing)
        except RetryLater as exc:
            at = self.wall() + timedelta(seconds=exc.seconds)
            if lane.pace.throttle_all:  # the messenger's limit, not the chat's: it all waits
                lane.pacer.pause(exc.seconds)
                self.stats[f"throttled_{message.messenger}"] += 1
            # the chat waits as a whole: what else is queued for it goes back until then
            for other in lane.queues.pop(message.chat, ()):
                self._results.put_nowait(
                    Outcome(other.held, "retry", at=at, error="429", attempts=other.attempts)
                )
                self._done()
            if attempts >= self.settings.max_throttled:
                return Outcome(ids, "park", error=f"429: {exc.reason}", attempts=attempts)
            return Outcome(ids, "retry", at=at, error=f"429: {exc.reason}", attempts=attempts)
        except Blocked as exc:
            self._blocked_now.add(message.account_id)
            # what else waits for this chat would be refused too
            for other in lane.queues.pop(message.chat, ()):
                self._results.put_nowait(Outcome(other.held, "skip", error="blocked"))
                self._done()
            return Outcome(ids, "skip", error=f"blocked: {exc.reason}", attempts=attempts)
        except BadRequest as exc:
            return Outcome(ids, "park", error=f"400: {exc.reason}", attempts=attempts)
        except (Transient, Exception) as exc:
            reason = exc.reason if isinstance(exc, Transient) else repr(exc)
            if not isinstance(exc, Transient):
                logger.exception("sending deliveries %s failed", message.ids)
            unknown = isinstance(exc, Unknown)  # it may have gone: a retry may repeat it
            if unknown:
                self.stats["unknown"] += 1
            if attempts >= self.settings.max_attempts:
                return Outcome(
                    ids, "park", error=f"gave up: {reason}", attempts=attempts, unknown=unknown
                )
            cap = min(self.settings.backoff_cap, self.settings.backoff * 2 ** (attempts - 1))
            at = self.wall() + timedelta(seconds=cap * (0.5 + self.rand() / 2))
            return Outcome(ids, "retry", at=at, error=reason, attempts=attempts, unknown=unknown)
        return Outcome(ids, "sent", at=self.wall(), message_ref=ref, attempts=attempts)

    # --- recording ---------------------------------------------------------------------------

    async def _ack_loop(self) -> None:
        while True:
            outcomes = [await self._results.get()]
            while not self._results.empty():
                outcomes.append(self._results.get_nowait())
            try:
                await self._record(outcomes)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("recording %d delivery outcomes failed; retrying", len(outcomes))
                for outcome in outcomes:
                    self._results.put_nowait(outcome)
                for _ in outcomes:
                    self._results.task_done()
                await asyncio.sleep(0.5)  # back off from a database that refused the write
                continue
            for _ in outcomes:
                self._results.task_done()

    async def _record(self, outcomes: list[Outcome]) -> None:
        """One group commit: whatever finished while the previous one was being written."""
        await self.queue.apply(self.owner, outcomes, self.wall())
        if self._blocked_now:
            blocked, self._blocked_now = self._blocked_now, set()
            await self.queue.deactivate(sorted(blocked))
        for outcome in outcomes:
            self.stats[outcome.action] += len(outcome.ids)
            for rid in outcome.ids:
                bid = self._broadcast_of.pop(rid, None)
                if bid is not None and outcome.action != "release":
                    self._dirty.add(bid)
        if self._dirty:
            self._dirty_event.set()
        async with self._applied:
            self._applied.notify_all()

    def _done(self) -> None:
        self._backlog -= 1
        self._room.set()

    async def _settle(self) -> None:
        """Until every claimed message has been sent (or failed) and recorded."""
        while self._backlog:
            self._room.clear()
            if self._backlog:
                await self._room.wait()
        if self._inflight:
            await asyncio.wait(set(self._inflight))
        await self._results.join()

    async def _shutdown(self, tasks: list[asyncio.Task[None]]) -> None:
        # Messages not started yet go back to the queue at once, for this or another worker.
        left = [m for lane in self._lanes.values() for q in lane.queues.values() for m in q]
        for lane in self._lanes.values():
            lane.queues.clear()
            lane.heap.clear()
            lane.scheduled.clear()
        for message in left:
            self._results.put_nowait(Outcome(message.held, "release"))
            self._done()
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=self.settings.lease)
        try:
            async with asyncio.timeout(10):
                await self._results.join()
        except TimeoutError:
            logger.warning("stopping with unrecorded delivery outcomes: their leases expire")
        await _stop(tasks)
        await self._flush_progress()

    # --- broadcast progress --------------------------------------------------------------------

    async def _progress_loop(self) -> None:
        """Edits each touched broadcast's progress message, at most every few seconds."""
        while True:
            await self._dirty_event.wait()
            self._dirty_event.clear()
            await self._flush_progress()
            await asyncio.sleep(self.settings.progress_every)  # pacing the edits

    async def _flush_progress(self) -> None:
        for broadcast_id in sorted(self._dirty):
            self._dirty.discard(broadcast_id)
            try:
                await self._edit_progress(broadcast_id)
            except asyncio.CancelledError:
                self._dirty.add(broadcast_id)  # stopping: the last flush does it
                raise

    async def _edit_progress(self, broadcast_id: int) -> None:
        try:
            message = await self.queue.progress_message(broadcast_id)
            if message is None:  # not sent yet: it shows the figures of its own moment
                return
            chat, ref, locale, payload, messenger = message
            sender = self.senders.get(messenger)
            if sender is None:  # its messenger is off here: nothing to edit it through
                return
            data = {**json.loads(payload), **await self.queue.broadcast_stats(broadcast_id)}
            c = context(locale)
            await sender.edit_text(
                chat, ref, progress_text(c, data), progress_buttons(c, broadcast_id)
            )
            self.stats["progress_edits"] += 1
        except Exception as exc:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # stopping: an error raised while the cancel unwound (a connection closed on
                # the way out) is the cancel; the last flush makes this edit
                raise asyncio.CancelledError from exc
            if isinstance(exc, (BadRequest, Blocked, Transient, RetryLater)):
                logger.info("progress of broadcast %s not updated: %s", broadcast_id, exc)
            else:
                logger.exception("progress of broadcast %s not updated", broadcast_id)


async def _stop(tasks: list[asyncio.Task[None]], tries: int = 50) -> None:
    """Cancels the worker's loops and waits for them to end. A loop whose cancellation was
    swallowed below it (a database driver's own cancel handling can turn it into an ordinary
    error, which the loop logs and goes on) is cancelled again, not waited for forever."""
    pending = set(tasks)
    for _ in range(tries):
        for task in pending:
            task.cancel()
        done, pending = await asyncio.wait(pending, timeout=0.1)
        for task in done:
            if not task.cancelled():
                task.exception()  # retrieved: an error on the way out is not news
        if not pending:
            return
    logger.warning("delivery loops still running after stop: %s", [t.get_name() for t in pending])


async def _first(waiters: list[Awaitable[object]], timeout: float) -> None:  # noqa: ASYNC109
    """Until the first of ``waiters`` completes, or ``timeout`` seconds."""
    tasks = [asyncio.ensure_future(w) for w in waiters]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
