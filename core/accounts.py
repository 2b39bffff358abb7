"""Messenger accounts: who an account may act as, consent, logout and personal settings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from core import audit
from core.access import FINALS_KEPT_AFTER_LEAVING, TeachingRef, Viewer, require_private
from core.clock import Clock
from core.errors import AccessDenied, NotFound, ValidationFailed
from core.model import Account, AccountLink, AuditEntry, PersonRole
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.push_choice import chosen_messenger

SUPPORTED_LOCALES = ("ru", "en")
NOTIFY_MARKS = ("each", "digest", "off")
_TIME_FIELDS = ("quiet_from", "quiet_to", "digest_at")
_BOOL_FIELDS = ("notify_homework", "notify_attendance", "notify_anytime_finals")
SETTINGS = (*_TIME_FIELDS, *_BOOL_FIELDS, "notify_marks")


def _link_role(role: PersonRole) -> PersonRole:
    return PersonRole.STAFF if role.is_staff else role


def _validate(fields: dict[str, Any]) -> dict[str, Any]:
    for name, value in fields.items():
        if name not in SETTINGS:
            raise ValidationFailed(name, "unknown")
        if name in _BOOL_FIELDS and not isinstance(value, bool):
            raise ValidationFailed(name, "not_bool")
        if name == "notify_marks" and value not in NOTIFY_MARKS:
            raise ValidationFailed(name, "unknown_mode")
        if name == "digest_at" and not isinstance(value, time):
            raise ValidationFailed(name, "not_time")
        if name in ("quiet_from", "quiet_to") and value is not None and not isinstance(value, time):
            raise ValidationFailed(name, "not_time")
    return fields


@dataclass(frozen=True, slots=True)
class AccountService:
    """Rights come from active links only; guardians see children after consent (001 §1.5)."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def viewer_for(self, messenger: str, external_id: str, private: bool) -> Viewer:
        """Everything this account may act as; an unknown account gets no rights."""
        async with self.uow(readonly=True) as uow:
            account, links = await uow.accounts.by_external_with_links(messenger, str(external_id))
            if account is None:
                return Viewer(private_chat=private, channel=messenger)
            facts: dict[str, Any] = {}
            names: dict[str, str] = {}
            for link in links:
                role = _link_role(link.role)
                if role == PersonRole.STAFF and "staff_id" not in facts:
                    await self._staff(uow, link.person_id, facts, names)
                elif role == PersonRole.GUARDIAN:
                    await self._guardian(uow, link.person_id, facts, names)
                elif role == PersonRole.STUDENT and "student_id" not in facts:
                    student = await uow.students.get(link.person_id)
                    # one who left still reads their final marks for a while (core.access)
                    if student is not None and (
                        student.left_on is None
                        or student.left_on + FINALS_KEPT_AFTER_LEAVING >= self.clock.today()
                    ):
                        facts["student_id"] = student.id
                        names["student"] = student.full_name
            return Viewer(
                account_id=account.id,
                private_chat=private,
                channel=messenger,
                locale=account.locale,
                names=names,
                **facts,
            )

    async def access_version(self) -> int:
        """Changes whenever anything a viewer is built from changes, in any process."""
        async with self.uow(readonly=True) as uow:
            return await uow.accounts.access_version()

    async def _staff(
        self, uow: UnitOfWork, staff_id: int, facts: dict[str, Any], names: dict[str, str]
    ) -> None:
        staff = await uow.staff.get(staff_id)
        if staff is None:
            return
        today = self.clock.today()
        year = await uow.years.containing(today)
        classes = await (uow.classes.for_year(year.id) if year else uow.classes.list_all())  # type: ignore[arg-type]
        class_ids = {c.id for c in classes}
        facts["staff_id"] = staff_id
        facts["staff_roles"] = frozenset(r.role for r in await uow.staff_roles.for_staff(staff_id))
        # Access to a class lasts as long as the teaching: an ended one gives nothing.
        facts["teaches"] = frozenset(
            TeachingRef(t.subject_id, t.class_id, t.subgroup_id)
            for t in await uow.teachings.for_staff(staff_id, on=today)
            if t.class_id in class_ids
        )
        facts["class_teacher_of"] = frozenset(
            c.id
            for c in classes
            if c.class_teacher_id == staff_id  # type: ignore[misc]
        )
        names["staff"] = staff.full_name

    async def _guardian(
        self, uow: UnitOfWork, guardian_id: int, facts: dict[str, Any], names: dict[str, str]
    ) -> None:
        """Adds one guardian record's children to what the account may see; an account may
        hold several records of the same parent (one per child in some rosters)."""
        guardian, links = await uow.guardians.with_links(guardian_id)
        if guardian is None:
            return
        if "guardian_id" not in facts:
            facts["guardian_id"] = guardian_id
            names["guardian"] = guardian.full_name
        facts["guardianships"] = facts.get("guardianships", frozenset()) | {
            (x.student_id, guardian_id) for x in links
        }
        consented = {x.student_id for x in links if x.consent_at is not None}
        facts["children"] = facts.get("children", frozenset()) | consented
        facts["children_pending_consent"] = (
            facts.get("children_pending_consent", frozenset())
            | {x.student_id for x in links if x.consent_at is None}
        ) - facts["children"]

    async def give_consent(self, viewer: Viewer) -> int:
        """001 §1.5: the guardian's consent, recorded on each child's link still without it."""
        require_private(viewer)
        if viewer.guardian_id is None:
            raise AccessDenied("consent")
        async with self.uow() as uow:
            now = self.clock.now()
            pending = [
                x
                for guardian_id in sorted(viewer.guardian_ids)
                for x in await uow.guardian_links.for_guardian(guardian_id)
                if x.consent_at is None
            ]
            for link in pending:
                link.consent_at = now
                await uow.audit.add(
                    audit.change(
                        viewer,
                        now,
                        "guardian.consent",
                        "guardian_link",
                        link.id,
                        student_id=link.student_id,
                        after=now.isoformat(),
                        reason=f"account:{viewer.account_id}",
                    )
                )
            if pending:
                await uow.commit()
            return len(pending)

    async def logout(self, messenger: str, external_id: str) -> int:
        """Unlink the account from everyone it acted as; the links stay in the history."""
        async with self.uow() as uow:
            account = await uow.accounts.by_external(messenger, str(external_id))
            if account is None:
                return 0
            links = await uow.account_links.active_for_account(account.id)  # type: ignore[arg-type]
            now = self.clock.now()
            who = Viewer(account_id=account.id, channel=messenger)
            for link in links:
                link.unlinked_at = now
                role = _link_role(link.role)
                await uow.audit.add(
                    audit.change(
                        who,
                        now,
                        "account.logout",
                        role.value,
                        link.person_id,
                        student_id=link.person_id if role == PersonRole.STUDENT else None,
                    )
                )
                if role == PersonRole.GUARDIAN:  # /logout is how consent is withdrawn
                    for child in await uow.guardian_links.for_guardian(link.person_id):
                        await uow.audit.add(
                            audit.change(
                                who,
                                now,
                                "guardian.withdraw",
                                "guardian_link",
                                child.id,
                                student_id=child.student_id,
                            )
                        )
            if links:
                await uow.commit()
            return len(links)

    async def set_locale(
        self, messenger: str, external_id: str, locale: str, display_name: str = ""
    ) -> Account:
        """The interface language; works before linking too (the account is created)."""
        if locale not in SUPPORTED_LOCALES:
            raise ValidationFailed("locale", "unsupported")
        async with self.uow() as uow:
            account = await uow.accounts.by_external(messenger, str(external_id))
            if account is None:
                account = await uow.accounts.add(
                    Account(
                        messenger,
                        str(external_id),
                        self.clock.now(),
                        locale=locale,
                        display_name=display_name,
                    )
                )
            elif account.locale == locale:
                return account
            else:
                who = Viewer(account_id=account.id, channel=messenger)
                await uow.audit.add(
                    _setting(who, self.clock.now(), "locale", account.locale, locale)
                )
            account.locale = locale
            await uow.commit()
            return account

    async def account(self, viewer: Viewer) -> Account:
        """The viewer's own account, with its settings."""
        if viewer.account_id is None:
            raise NotFound("account", None)
        async with self.uow(readonly=True) as uow:
            account = await uow.accounts.get(viewer.account_id)
            if account is None:
                raise NotFound("account", viewer.account_id)
            return account

    async def update_settings(self, viewer: Viewer, **fields: Any) -> Account:
        """Quiet hours, what to push and when the digest comes; validated."""
        _validate(fields)
        if viewer.account_id is None:
            raise NotFound("account", None)
        async with self.uow() as uow:
            account = await uow.accounts.get(viewer.account_id)
            if account is None:
                raise NotFound("account", viewer.account_id)
            quiet_from = fields.get("quiet_from", account.quiet_from)
            quiet_to = fields.get("quiet_to", account.quiet_to)
            if (quiet_from is None) != (quiet_to is None):
                raise ValidationFailed("quiet_hours", "both_or_neither")
            now = self.clock.now()
            for name, value in fields.items():
                old = getattr(account, name)
                if old != value:
                    await uow.audit.add(_setting(viewer, now, name, old, value))
                setattr(account, name, value)
            await uow.commit()
            return account

    async def set_active(self, messenger: str, external_id: str, active: bool) -> bool:
        """The messenger says the user blocked the bot (False) or came back (True); pushes
        stop and resume accordingly. Returns whether anything changed."""
        async with self.uow() as uow:
            account = await uow.accounts.by_external(messenger, str(external_id))
            if account is None or account.active == active:
                return False
            account.active = active
            await uow.commit()
            return True

    async def accounts_for_person(self, role: PersonRole, person_id: int) -> list[Account]:
        """The accounts linked to a person (blocked ones included: check ``active``)."""
        async with self.uow(readonly=True) as uow:
            links: list[AccountLink] = await uow.account_links.active_for_person(
                _link_role(role), person_id
            )
            found: dict[int, Account] = {}
            for link in links:
                account = await uow.accounts.get(link.account_id)
                if account is not None:
                    found[link.account_id] = account
            return list(found.values())

    async def push_places(self, viewer: Viewer) -> PushPlaces | None:
        """Where the viewer's pushes go, when the people their account is linked to also have
        accounts in another messenger (``core.push_choice``); None: one messenger only."""
        if viewer.account_id is None:
            return None
        async with self.uow(readonly=True) as uow:
            return _places(viewer.account_id, await _same_people(uow, viewer.account_id))

    async def choose_push_account(self, viewer: Viewer, account_id: int) -> PushPlaces | None:
        """Pushes go to ``account_id``'s messenger from now on. The account must be linked to
        a person the viewer's own account is linked to (the viewer's own on the other
        messenger), and active; anything else is refused and changes nothing."""
        require_private(viewer)
        if viewer.account_id is None:
            raise AccessDenied("push_messenger")
        async with self.uow() as uow:
            found = await _same_people(uow, viewer.account_id)
            target = next((a for a in found if a.id == account_id and a.active), None)
            if target is None or _places(viewer.account_id, found) is None:
                raise AccessDenied("push_messenger")  # not theirs, or nothing to choose
            before = chosen_messenger(found)
            now = self.clock.now()
            target.pushes_chosen_at = now
            await uow.audit.add(_setting(viewer, now, "push_messenger", before, target.messenger))
            await uow.commit()
            return _places(viewer.account_id, found)


@dataclass(frozen=True, slots=True)
class PushPlaces:
    """The messengers a person's pushes may go to, each with the account a press chooses."""

    current: str  # the messenger they go to now
    choices: tuple[tuple[str, int], ...]  # (messenger, account id), by messenger


async def _same_people(uow: UnitOfWork, account_id: int) -> list[Account]:
    """The account and every other account linked to one of the people it is linked to."""
    ids = {account_id}
    for link in await uow.account_links.active_for_account(account_id):
        for other in await uow.account_links.active_for_person(link.role, link.person_id):
            ids.add(other.account_id)
    return await uow.accounts.many(sorted(ids))


def _places(account_id: int, found: list[Account]) -> PushPlaces | None:
    active = [a for a in found if a.active]
    messengers = sorted({a.messenger for a in active})
    current = chosen_messenger(active)
    if len(messengers) < 2 or current is None:
        return None
    choices = []
    for messenger in messengers:
        own = [a for a in active if a.messenger == messenger]
        pick = next((a for a in own if a.id == account_id), None) or max(
            own, key=lambda a: (a.last_seen_at or a.created_at, a.id or 0)
        )
        choices.append((messenger, pick.id))
    return PushPlaces(current, tuple(choices))  # type: ignore[arg-type]


def _setting(viewer: Viewer, at: datetime, name: str, before: object, after: object) -> AuditEntry:
    """A setting changed by the account's owner, with the old and the new value."""

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "on" if value else "off"
        return value.isoformat() if hasattr(value, "isoformat") else str(value)

    return audit.change(
        viewer,
        at,
        f"settings.{name}",
        "account",
        viewer.account_id,
        before=text(before),
        after=text(after),
    )
