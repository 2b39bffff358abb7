"""Where a person linked on two messengers gets pushes: on one of them, never on both.

A person (a guardian, a student, a staff member: one ``(role, person_id)``) may have accounts
in two messengers. Each push goes to the accounts of one messenger only: the one whose
account was chosen last in /settings (``Account.pushes_chosen_at``), else the one where the
person was last active (``last_seen_at``, for an account never seen its ``created_at``).
Two accounts in the same messenger (a parent on two phones) both keep getting pushes, as
before. Only active accounts count: a messenger the person blocked the bot in is not chosen.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from core.model import Account


def _seen(account: Account) -> datetime:
    return account.last_seen_at or account.created_at


def chosen_messenger(accounts: Iterable[Account]) -> str | None:
    """The messenger of one person's active accounts their pushes go to; None: no active one."""
    active = [a for a in accounts if a.active]
    if not active:
        return None
    chosen = [a for a in active if a.pushes_chosen_at is not None]
    if chosen:
        best = max(chosen, key=lambda a: (a.pushes_chosen_at, a.id or 0))
    else:
        best = max(active, key=lambda a: (_seen(a), a.id or 0))
    return best.messenger


def pushed(accounts: Sequence[Account], running: Collection[str] | None = None) -> list[Account]:
    """Of one person's accounts, those their pushes go to: all of them while the active ones
    are in one messenger (blocked ones included: their rows are skipped as blocked), else
    the chosen messenger's. With ``running`` (the messengers this school runs), an account
    in a messenger turned off counts only when the person has no other: a parent who chose
    one messenger hears in the other while the school runs without the first."""
    if running:
        on = [a for a in accounts if a.messenger in running]
        if on and any(a.active for a in on):
            accounts = on
    messengers = {a.messenger for a in accounts if a.active}
    if len(messengers) < 2:
        return list(accounts)
    where = chosen_messenger(accounts)
    return [a for a in accounts if a.messenger == where]


def pushed_pairs(
    pairs: Iterable[tuple[Account, int]], running: Collection[str] | None = None
) -> set[tuple[int | None, int]]:
    """Of (account, person) pairs, the (account id, person) whose account gets that person's
    pushes: ``pushed`` over each person's accounts."""
    by_person: dict[int, list[Account]] = {}
    for account, person in pairs:
        by_person.setdefault(person, []).append(account)
    return {(a.id, person) for person, held in by_person.items() for a in pushed(held, running)}
