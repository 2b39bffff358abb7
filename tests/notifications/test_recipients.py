"""One resolver decides who hears about a child, for the fan-out and for every scheduled job:
an account holding two guardian records of one child hears once from each."""

from __future__ import annotations

from collections import Counter

from core import model as m
from notifications.jobs import Jobs
from notifications.recipients import Recipients
from tests.notifications.conftest import TEACHER, Net, at

MOTHERS_ACCOUNT = 1


async def _listed_twice(net: Net) -> None:
    """The roster lists Иванов's mother twice (once per file she was in); her one account holds
    both records, both consented."""
    async with net.database.uow() as uow:
        twin = await uow.guardians.add(m.Guardian("Иванова", "Ольга", "Николаевна"))
        await uow.guardian_links.add(m.GuardianLink(twin.id, net.s.ivanov.id, consent_at=at(9)))
        await uow.account_links.add(
            m.AccountLink(MOTHERS_ACCOUNT, m.PersonRole.GUARDIAN, twin.id, at(9))
        )
        mother = await uow.accounts.get(MOTHERS_ACCOUNT)
        assert mother is not None
        mother.notify_marks = "each"
        await uow.commit()


def _per_child(rows: list[m.Delivery]) -> Counter[tuple[int, int | None]]:
    return Counter((r.account_id, r.student_id) for r in rows)


async def test_the_resolver_names_each_account_once_per_child(net: Net) -> None:
    await _listed_twice(net)
    async with net.database.uow(readonly=True) as uow:
        found = await Recipients(uow).family([net.s.ivanov.id, net.s.petrova.id])
        guardians = await Recipients(uow).guardians([net.s.ivanov.id])
    pairs = Counter((r.account.id, r.student_id) for r in found)
    assert pairs[(MOTHERS_ACCOUNT, net.s.ivanov.id)] == 1 and set(pairs.values()) == {1}
    assert {r.role for r in found} == {m.PersonRole.GUARDIAN, m.PersonRole.STUDENT}
    assert [(r.account.id, r.role) for r in guardians] == [(MOTHERS_ACCOUNT, m.PersonRole.GUARDIAN)]


async def test_a_parent_listed_twice_gets_one_row_from_the_fan_out_and_each_job(
    net: Net,
) -> None:
    await _listed_twice(net)
    teacher = await net.viewer(TEACHER)
    tomorrow = net.s.lesson_tomorrow.day
    await net.journal.set_homework(teacher, net.s.lesson_today.id, "№ 1–5", due_on=tomorrow)
    await net.journal.give_mark(
        teacher, net.s.lesson_today.id, net.s.ivanov.id, m.MarkValue.FIVE, net.s.oral.id
    )
    for kind in ("homework", "mark"):  # the fan-out
        assert _per_child(await net.rows(kind=kind))[(MOTHERS_ACCOUNT, net.s.ivanov.id)] == 1
    jobs = Jobs(net.database.uow, net.clock)
    net.clock.set(at(18, 0))
    assert await jobs.evening_digest() == 3  # Иванов, his mother once, Петрова's father
    net.clock.set(at(11, 0, day=21))
    assert await jobs.fortnight_summary(every_other_week=False) == 2  # the two families
    for kind in ("evening", "summary"):
        rows = await net.rows(kind=kind)
        assert _per_child(rows)[(MOTHERS_ACCOUNT, net.s.ivanov.id)] == 1
        assert len({r.dedup_key for r in rows}) == len(rows)
