"""Delivery per messenger (#13 item 3), the worker on a real database with a fake sender for
each messenger: each push goes through its account's messenger, each messenger keeps its own
pace, a 429 from MAX holds MAX back and never Telegram, and a messenger the school runs
without skips its rows with the reason instead of keeping them forever."""

from __future__ import annotations

from datetime import timedelta
from time import monotonic
from typing import Any

from core import model as m
from notifications.sender import RetryLater
from notifications.worker import MAX_PACE, DeliveryWorker, Pace, WorkerSettings
from tests.notifications.conftest import FAST, OTHER_PARENT, TEACHER, FakeSender, Net

S = m.DeliveryStatus
PETROVA_MAX = 9_000_504  # Петрова Алёна's MAX user id
MOTHER_MAX = 9_000_501


async def link_max(net: Net, user_id: int, role: m.PersonRole, person_id: int) -> m.Account:
    """A MAX account linked to a person, as redeeming an invite in MAX leaves it."""
    async with net.database.uow() as uow:
        account = await uow.accounts.add(m.Account("max", str(user_id), net.clock.now()))
        await uow.account_links.add(m.AccountLink(account.id, role, person_id, net.clock.now()))
        await uow.commit()
    return account


class TimedSender(FakeSender):
    """Also notes when each send was tried, refused ones included."""

    def __init__(self) -> None:
        super().__init__()
        self.tried: list[tuple[str, float]] = []

    def _check(self, chat_id: str) -> None:
        self.tried.append((chat_id, monotonic()))
        super()._check(chat_id)


def worker(net: Net, senders: dict[str, Any], settings: WorkerSettings = FAST) -> DeliveryWorker:
    found = DeliveryWorker(net.queue, senders, net.clock, settings, wall=net.wall, rand=lambda: 1.0)
    net.fanout.on_commit(found.wake)
    return found


async def give(net: Net, student: m.Student, value: str) -> None:
    teacher = await net.viewer(TEACHER)
    await net.journal.give_mark(
        teacher, net.s.lesson_today.id, student.id, m.MarkValue(value), net.s.oral.id
    )


def test_max_has_its_own_pace() -> None:
    settings = WorkerSettings()
    telegram, max_ = settings.pace("telegram"), settings.pace("max")
    assert (telegram.rate, telegram.per_chat, telegram.throttle_all) == (30, 1.05, False)
    assert max_ == MAX_PACE and max_.rate == 30 and 0.5 < max_.per_chat < 1.0  # 2 a second
    assert max_.throttle_all
    # a messenger without an entry goes at the settings' own rate (tests switch it off)
    assert WorkerSettings(rate=None, per_chat=0, paces={}).pace("max") == Pace(None, 1.03, 0)


async def test_each_push_goes_through_its_accounts_messenger(net: Net) -> None:
    await link_max(net, PETROVA_MAX, m.PersonRole.STUDENT, net.s.petrova.id)
    telegram, max_ = FakeSender(), FakeSender()
    await give(net, net.s.petrova, "5")
    await worker(net, {"telegram": telegram, "max": max_}).run_until_idle()
    # her father's Telegram, her own MAX: one message each, each through its own messenger
    assert [s.chat_id for s in telegram.sent] == [str(OTHER_PARENT)]
    assert [s.chat_id for s in max_.sent] == [str(PETROVA_MAX)]
    assert "Петрова Алёна" in max_.sent[0].text
    assert {r.status for r in await net.rows(kind="mark")} == {S.SENT}


async def test_a_429_from_max_holds_back_max_only(net: Net) -> None:
    """MAX's limit is the bot's: its 429 pauses every MAX send for the wait it names, while
    Telegram goes on at once; the refused message comes back after the wait."""
    await link_max(net, PETROVA_MAX, m.PersonRole.STUDENT, net.s.petrova.id)
    # Иванов is on both messengers now: his newer account, MAX, hears
    ivanov_max = await link_max(net, 9_000_502, m.PersonRole.STUDENT, net.s.ivanov.id)
    telegram, max_ = TimedSender(), TimedSender()
    max_.fail(ivanov_max.external_id, RetryLater(1.5, "429 too many requests"))
    # two MAX messages half a second apart: the first is refused, the second must wait
    settings = WorkerSettings(
        rate=None, per_chat=0, poll=0.05, backoff=0.01, lease=30,
        paces={"max": Pace(rate=2, window=1.0, per_chat=0, throttle_all=True)},
    )  # fmt: skip
    await give(net, net.s.ivanov, "5")
    await give(net, net.s.petrova, "4")
    w = worker(net, {"telegram": telegram, "max": max_}, settings)
    await w.run_until_idle()
    assert w.stats["throttled_max"] == 1
    (refused_at,) = [at for chat, at in max_.tried if chat == ivanov_max.external_id]
    (petrova,) = max_.to(PETROVA_MAX)
    assert petrova.at - refused_at >= 1.4  # held by the 429's pause, not by its own pace
    # the mother and Петрова's father, on Telegram: never held back
    assert sorted(s.chat_id for s in telegram.sent) == ["501", str(OTHER_PARENT)]
    assert max(s.at for s in telegram.sent) - refused_at < 0.5
    (held,) = [r for r in await net.rows(kind="mark") if r.account_id == ivanov_max.id]
    assert held.status == S.PENDING and held.last_error.startswith("429")
    net.wall.advance(2)  # the wait is over: it goes
    await w.run_until_idle()
    assert len(max_.to(ivanov_max.external_id)) == 1
    assert w.stats["throttled_max"] == 1 and len(telegram.sent) == 2  # nothing twice


async def test_a_messenger_the_school_runs_without_skips_its_rows(net: Net) -> None:
    """MAX turned off: its accounts' rows are skipped with the reason, not kept pending
    (they would pile up for as long as it stays off), and Telegram's go as ever."""
    await link_max(net, PETROVA_MAX, m.PersonRole.STUDENT, net.s.petrova.id)
    await give(net, net.s.petrova, "5")
    w = worker(net, {"telegram": net.sender})
    await w.run_until_idle()
    assert [s.chat_id for s in net.sender.sent] == [str(OTHER_PARENT)]
    (row,) = [r for r in await net.rows(kind="mark") if r.status != S.SENT]
    assert (row.status, row.last_error) == (S.SKIPPED, "no max")
    await w.run_until_idle()  # nothing left: not retried
    assert w.stats["skip"] == 1 and len(net.sender.sent) == 1


async def test_a_guardian_on_both_messengers_hears_once_where_last_seen(net: Net) -> None:
    """The mother (Telegram, linked in the fixture) links MAX too: a mark reaches her once,
    on the messenger she used last; two accounts in one messenger still both hear."""
    on_max = await link_max(net, MOTHER_MAX, m.PersonRole.GUARDIAN, net.s.mother.id)
    telegram, max_ = FakeSender(), FakeSender()
    w = worker(net, {"telegram": telegram, "max": max_})
    await give(net, net.s.ivanov, "5")  # never seen: the newer account, MAX
    await w.run_until_idle()
    assert len(max_.to(MOTHER_MAX)) == 1 and telegram.to(501) == []
    async with net.database.uow() as uow:  # then she opens the bot in Telegram
        (mother,) = [a for a in await uow.accounts.list_all() if a.external_id == "501"]
        later = net.clock.now() + timedelta(minutes=5)
        await uow.accounts.mark_seen({mother.id: later})  # type: ignore[dict-item]
        await uow.commit()
    await give(net, net.s.ivanov, "4")
    await w.run_until_idle()
    assert len(telegram.to(501)) == 1 and len(max_.to(MOTHER_MAX)) == 1
    # a second Telegram phone: both Telegram accounts hear, MAX still does not
    await net.link(511, m.PersonRole.GUARDIAN, net.s.mother.id)
    await give(net, net.s.ivanov, "3")
    await w.run_until_idle()
    assert len(telegram.to(501)) == 2 and len(telegram.to(511)) == 1
    assert len(max_.to(MOTHER_MAX)) == 1 and on_max.id is not None


async def test_a_parent_who_chose_max_hears_in_telegram_while_max_is_off(net: Net) -> None:
    on_max = await link_max(net, MOTHER_MAX, m.PersonRole.GUARDIAN, net.s.mother.id)
    async with net.database.uow() as uow:
        account = await uow.accounts.get(on_max.id)  # type: ignore[arg-type]
        assert account is not None
        account.pushes_chosen_at = net.clock.now()
        await uow.commit()
    net.fanout.running = ("telegram",)  # the school runs without MAX
    w = worker(net, {"telegram": net.sender})
    await give(net, net.s.ivanov, "5")
    await w.run_until_idle()
    assert len(net.sender.to(501)) == 1
    assert [r for r in await net.rows(kind="mark") if r.account_id == on_max.id] == []
    net.fanout.running = None  # both again: her choice stands
    await give(net, net.s.ivanov, "4")
    assert len([r for r in await net.rows(kind="mark") if r.account_id == on_max.id]) == 1
