"""Who hears about a child, decided once for the fan-out and the scheduled jobs.

A child's pushes go to the active accounts linked to the child's guardians through a consented
link the roster still lists, and to the child's own linked account where the push is for the
student too. One row per (account, child): an account holding two guardian records of one
child (a roster listing the parent once per child), or linked both ways, hears once. Staff hear
through their own account links. A person linked on two messengers hears in one of them
(``core.push_choice``). The accounts' settings (marks, homework, attendance) are the
caller's to apply: they differ by push.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple

from core.model import Account, PersonRole
from core.ports import UnitOfWork
from core.push_choice import pushed_pairs


class Recipient(NamedTuple):
    """An account hearing about a child, through the link ``role``/``person_id``."""

    account: Account
    role: PersonRole
    person_id: int
    student_id: int


class Recipients:
    """The resolver over one unit of work; accounts are read once however often asked."""

    def __init__(self, uow: UnitOfWork, running: Collection[str] | None = None) -> None:
        self.uow = uow
        self.running = running  # the messengers this school runs (None: all)
        self._accounts: dict[int, Account] = {}

    async def accounts(self, ids: Sequence[int]) -> dict[int, Account]:
        """These accounts, active or not."""
        missing = [i for i in set(ids) if i not in self._accounts]
        if missing:
            for account in await self.uow.accounts.many(missing):
                self._accounts[account.id] = account  # type: ignore[index]
        return {i: self._accounts[i] for i in ids if i in self._accounts}

    async def linked(
        self, role: PersonRole, person_ids: Sequence[int]
    ) -> list[tuple[Account, int]]:
        """Active accounts linked to these people, with the person each is linked to; a
        person with accounts in two messengers hears in one (``core.push_choice``)."""
        if not person_ids:
            return []
        links = await self.uow.account_links.active_for_people(role, list(person_ids))
        accounts = await self.accounts([x.account_id for x in links])
        found = [
            (accounts[x.account_id], x.person_id)
            for x in links
            if x.account_id in accounts and accounts[x.account_id].active
        ]
        keep = pushed_pairs(found, self.running)
        return [(a, p) for a, p in found if (a.id, p) in keep]

    async def guardians(self, student_ids: Sequence[int]) -> list[Recipient]:
        """The consented guardians' accounts of these children."""
        return await self.family(student_ids, with_students=False)

    async def family(
        self, student_ids: Sequence[int], with_students: bool = True
    ) -> list[Recipient]:
        """The children's guardians (consented, linked) and, with ``with_students``, the
        children themselves; one per (account, child), guardians first."""
        if not student_ids:
            return []
        links = [
            x
            for x in await self.uow.guardian_links.for_students(list(student_ids))
            if x.consent_at and x.ended_at is None
        ]
        children: dict[int, list[int]] = {}
        for x in links:
            children.setdefault(x.guardian_id, []).append(x.student_id)
        found: dict[tuple[int, int], Recipient] = {}
        for account, guardian_id in await self.linked(PersonRole.GUARDIAN, list(children)):
            for student_id in children[guardian_id]:
                key = (account.id, student_id)  # type: ignore[assignment]
                found.setdefault(
                    key, Recipient(account, PersonRole.GUARDIAN, guardian_id, student_id)
                )  # type: ignore[arg-type]
        if with_students:
            for account, student_id in await self.linked(PersonRole.STUDENT, student_ids):
                key = (account.id, student_id)  # type: ignore[assignment]
                found.setdefault(
                    key, Recipient(account, PersonRole.STUDENT, student_id, student_id)
                )  # type: ignore[arg-type]
        return list(found.values())

    async def staff(self, staff_ids: Sequence[int]) -> dict[int, list[Account]]:
        """Each staff member's active accounts."""
        found: dict[int, list[Account]] = {}
        for account, staff_id in await self.linked(PersonRole.STAFF, staff_ids):
            found.setdefault(staff_id, []).append(account)
        return found
