"""One-time invite codes: the only way to get access (000 §3.1; 002 §3.1.2; 004 §5.2).

Guardians and students get theirs from the class teacher, staff from the administrator.
A code is 128 random bits in base64url (fits a messenger deep link), used once, expiring.
Only its SHA-256 is stored, so a stolen database leaks no working codes.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from core import access, audit
from core.access import Viewer
from core.clock import Clock
from core.errors import (
    AccessDenied,
    InviteDaysRefused,
    InviteInvalid,
    NoCodesAfterLeaving,
    NotFound,
    ValidationFailed,
)
from core.events import AccountLinked
from core.model import Account, AccountLink, AuditEntry, Invite, PersonRole
from core.ports import UnitOfWork, UnitOfWorkFactory

CODE_BYTES = 16  # 128 bits
DEFAULT_TTL_DAYS = 14
MAX_TTL_DAYS = 90  # a code handed out on paper should not outlive a term
MAX_CODE_LENGTH = 64  # deep-link parameters are short in every messenger


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def check_ttl(ttl_days: int) -> None:
    """An invite is valid for 1 to ``MAX_TTL_DAYS`` days, however it is issued."""
    if not 1 <= ttl_days <= MAX_TTL_DAYS:
        raise InviteDaysRefused(ttl_days, MAX_TTL_DAYS)


def looks_like_code(text: str) -> bool:
    text = text.strip()
    return 16 <= len(text) <= MAX_CODE_LENGTH and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in text
    )


@dataclass(frozen=True, slots=True)
class IssuedInvite:
    code: str
    invite: Invite
    name: str


@dataclass(frozen=True, slots=True)
class InviteService:
    """Invites: staff codes by the admin, guardian and student codes by the class teacher."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def _target(
        self, uow: UnitOfWork, role: PersonRole, person_id: int
    ) -> tuple[str, int | None]:
        """The person's name and, for guardians and students, the class it is issued for."""
        today = self.clock.today()
        if role == PersonRole.STUDENT:
            student = await uow.students.get(person_id)
            if student is None:
                raise NotFound("student", person_id)
            if student.left_before(today):
                raise NoCodesAfterLeaving(student.left_on)  # type: ignore[arg-type]
            return student.full_name, student.class_id
        if role == PersonRole.GUARDIAN:
            guardian = await uow.guardians.get(person_id)
            if guardian is None:
                raise NotFound("guardian", person_id)
            links = await uow.guardian_links.for_guardian(person_id)
            if not links:
                raise ValidationFailed("guardian", "no_children")
            children = await uow.students.many([x.student_id for x in links])
            staying = [c for c in children if not c.left_before(today)]
            if not staying:
                raise NoCodesAfterLeaving(max(c.left_on for c in children if c.left_on))  # type: ignore[type-var]
            return guardian.full_name, staying[0].class_id
        staff = await uow.staff.get(person_id)
        if staff is None:
            raise NotFound("staff", person_id)
        return staff.full_name, None

    async def _may_issue(
        self, uow: UnitOfWork, viewer: Viewer, role: PersonRole, person_id: int
    ) -> None:
        if viewer.is_admin:
            return
        if role == PersonRole.STUDENT:
            student = await uow.students.get(person_id)
            if student and student.class_id in viewer.class_teacher_of:
                return
        elif role == PersonRole.GUARDIAN:
            for link in await uow.guardian_links.for_guardian(person_id):
                child = await uow.students.get(link.student_id)
                if child and child.class_id in viewer.class_teacher_of:
                    return
        raise AccessDenied("issue_invite")

    async def issue(
        self,
        viewer: Viewer,
        role: PersonRole,
        person_id: int,
        ttl_days: int = DEFAULT_TTL_DAYS,
    ) -> IssuedInvite:
        check_ttl(ttl_days)
        async with self.uow() as uow:
            issued = await self.issue_in(uow, viewer, role, person_id, ttl_days)
            await uow.commit()
            return issued

    async def issue_many(
        self,
        viewer: Viewer,
        targets: list[tuple[PersonRole, int]],
        ttl_days: int = DEFAULT_TTL_DAYS,
    ) -> list[IssuedInvite]:
        """Several codes in one transaction: all are issued or none."""
        check_ttl(ttl_days)
        async with self.uow() as uow:
            issued = [await self.issue_in(uow, viewer, r, pid, ttl_days) for r, pid in targets]
            await uow.commit()
            return issued

    async def reissue(
        self,
        viewer: Viewer,
        role: PersonRole,
        person_id: int,
        ttl_days: int = DEFAULT_TTL_DAYS,
    ) -> tuple[IssuedInvite, int]:
        """A new code for someone who lost theirs: their earlier unused codes for this role
        stop working. Returns the new code and how many were revoked."""
        check_ttl(ttl_days)
        async with self.uow() as uow:
            now = self.clock.now()
            revoked = 0
            for invite in await uow.invites.for_person(role, person_id):
                if invite.used_at or invite.revoked_at:
                    continue
                if invite.expires_at > now:
                    invite.revoked_at = now
                    revoked += 1
            issued = await self.issue_in(
                uow, viewer, role, person_id, ttl_days, action="invite.reissue", revoked=revoked
            )
            await uow.commit()
            return issued, revoked

    async def issue_in(
        self,
        uow: UnitOfWork,
        viewer: Viewer,
        role: PersonRole,
        person_id: int,
        ttl_days: int = DEFAULT_TTL_DAYS,
        *,
        action: str = "invite.issue",
        revoked: int = 0,
    ) -> IssuedInvite:
        """Issue inside the caller's unit of work (bulk sheets, the demo school); audited,
        with how many earlier codes a reissue revoked."""
        check_ttl(ttl_days)
        name, class_id = await self._target(uow, role, person_id)
        await self._may_issue(uow, viewer, role, person_id)
        if role == PersonRole.CLASS_TEACHER and not any(
            c.class_teacher_id == person_id for c in await uow.classes.list_all()
        ):
            raise ValidationFailed("role", "not_a_class_teacher")
        now = self.clock.now()
        code = new_code()
        invite = Invite(
            code_hash=hash_code(code),
            role=role,
            person_id=person_id,
            created_at=now,
            expires_at=now + timedelta(days=ttl_days),
            created_by=viewer.staff_id,
            class_id=class_id,
        )
        await uow.invites.add(invite)
        await uow.audit.add(
            _entry(viewer, now, action, invite, before=f"revoked={revoked}" if revoked else "")
        )
        return IssuedInvite(code, invite, name)

    async def redeem(
        self,
        messenger: str,
        external_id: str,
        code: str,
        display_name: str = "",
        locale: str = "ru",
    ) -> AccountLink:
        """Link a messenger account to the person behind the code; the code is spent."""
        if not looks_like_code(code):
            raise InviteInvalid("unknown")
        now = self.clock.now()
        async with self.uow() as uow:
            invite = await uow.invites.by_hash(hash_code(code))
            if invite is None:
                raise InviteInvalid("unknown")
            if invite.revoked_at is not None:
                raise InviteInvalid("revoked")
            if invite.used_at is not None:
                raise InviteInvalid("used")
            if invite.expires_at <= now:
                raise InviteInvalid("expired")
            account = await uow.accounts.by_external(messenger, external_id)
            if account is None:
                account = await uow.accounts.add(
                    Account(messenger, external_id, now, locale=locale, display_name=display_name)
                )
            account.active = True
            link_role = _link_role(invite.role)
            existing = [
                x
                for x in await uow.account_links.active_for_account(account.id)  # type: ignore[arg-type]
                if x.role == link_role and x.person_id == invite.person_id
            ]
            link = (
                existing[0]
                if existing
                else await uow.account_links.add(
                    AccountLink(account.id, link_role, invite.person_id, now)  # type: ignore[arg-type]
                )
            )
            if not await uow.invites.claim(invite, now, account.id):  # type: ignore[arg-type]
                raise InviteInvalid("used")
            who = Viewer(account_id=account.id, channel=messenger)
            await uow.audit.add(_entry(who, now, "invite.redeem", invite))
            uow.emit(AccountLinked(account.id, link_role.value, invite.person_id))  # type: ignore[arg-type]
            await uow.commit()
            return link

    async def revoke(self, viewer: Viewer, invite_id: int) -> None:
        access.require_admin(viewer)
        async with self.uow() as uow:
            invite = await uow.invites.get(invite_id)
            if invite is None:
                raise NotFound("invite", invite_id)
            invite.revoked_at = self.clock.now()
            await uow.audit.add(_entry(viewer, invite.revoked_at, "invite.revoke", invite))
            await uow.commit()


def _entry(
    viewer: Viewer, at: datetime, action: str, invite: Invite, before: str = ""
) -> AuditEntry:
    """An invite's life on record: whose it is (the person) and until when it is valid."""
    role = _link_role(invite.role)
    return audit.change(
        viewer,
        at,
        action,
        role.value,
        invite.person_id,
        student_id=invite.person_id if role == PersonRole.STUDENT else None,
        before=before,
        after=invite.expires_at.isoformat() if action != "invite.redeem" else "",
    )


def _link_role(role: PersonRole) -> PersonRole:
    """Every staff code links the staff member; their rights come from the school's data."""
    return PersonRole.STAFF if role.is_staff else role
