"""The audit log in words, for the bot's /admin and the console: what was done or read, by whom,
from where (the log itself keeps codes)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from app.messages import MESSENGERS, N_
from core.model import AuditEntry

Gettext = Callable[[str], str]

ACTIONS = {
    "mark.correct": N_("Mark corrected"),
    "attendance.set": N_("Attendance changed"),
    "attendance.reason": N_("Absence reason set"),
    "final.replace": N_("Period mark replaced"),
    "final.ack": N_("Period marks acknowledged by a parent"),
    "final.ack_remind": N_("Parents reminded to acknowledge period marks"),
    "guardian.consent": N_("Consent to data processing given"),
    "guardian.withdraw": N_("Consent withdrawn: the parent signed out"),
    "access.revoke": N_("Access taken away"),
    "guardian.paper": N_("Moved to the diary on paper, or back to the bot"),
    "student.move": N_("Moved to another class"),
    "student.left": N_("Left the school"),
    "student.return": N_("Came back to the school"),
    "student.graduated": N_("Graduated"),
    "class.teacher": N_("Class teacher changed"),
    "guardian_link.end": N_("Parent no longer listed"),
    "guardian_link.restore": N_("Parent listed again"),
    "teaching.end": N_("Teaching ended"),
    "holiday.add": N_("Holiday added"),
    "holiday.remove": N_("Holiday removed"),
    "school.week": N_("School week changed"),
    "work_type.weight": N_("Work type weight changed"),
    "year.new": N_("New school year started"),
    "period.close": N_("Period closed"),
    "period.reopen": N_("Period reopened"),
    "period.move": N_("Period dates moved"),
    "lesson.topic": N_("Lesson topic written"),
    "lesson.homework": N_("Homework written"),
    "lesson": N_("Lesson changed"),
    "import": N_("File imported"),
    "invite.issue": N_("Invite code issued"),
    "invite.reissue": N_("Invite code issued again"),
    "invite.revoke": N_("Invite code revoked"),
    "invite.redeem": N_("Signed in with an invite code"),
    "account.logout": N_("Signed out"),
    "settings": N_("Settings changed"),
    "remark.remark": N_("Remark written"),
    "remark.praise": N_("Praise written"),
    # reads: someone looked at a child's or a person's data
    "diary.marks": N_("Viewed the marks"),
    "diary.latest": N_("Viewed the latest marks"),
    "diary.finals": N_("Viewed the period marks"),
    "diary.attendance": N_("Viewed the attendance"),
    "diary.absence": N_("Viewed an absence"),
    "diary.homework": N_("Viewed the homework"),
    "diary.timetable": N_("Viewed the timetable"),
    "report": N_("Report exported"),
    "report.journal": N_("Class journal exported"),
    "report.statement": N_("Marks statement exported"),
    "report.printout": N_("Paper diary printed"),
    "class.absences": N_("Viewed the class's absences"),
    "audit.view": N_("Audit log read"),
    "access.linked": N_("List of signed-in accounts read"),
}
CHANNELS = {"console": N_("console")}  # and the messengers, by their names


def action(gettext: Gettext, code: str) -> str | None:
    """«Оценка исправлена» for «mark.correct»; None for a code the log does not know."""
    words = ACTIONS.get(code) or ACTIONS.get(code.split(".")[0])
    return gettext(words) if words else None


def channel(gettext: Gettext, code: str) -> str:
    if code in CHANNELS:
        return gettext(CHANNELS[code])
    return MESSENGERS.get(code, code)


ACCOUNT = N_("account {id}")
AT_THE_CONSOLE = N_("the administrator at the console")
THE_SYSTEM = N_("the system")


def who(gettext: Gettext, entry: AuditEntry, staff: Mapping[int, str]) -> str | None:
    """The member of staff by name, else the account (a parent or a student), else the
    administrator at the console; None for the system (an import, a scheduled job)."""
    if entry.actor_id is not None and entry.actor_id in staff:
        return staff[entry.actor_id]
    if entry.account_id is not None:
        return gettext(ACCOUNT).format(id=entry.account_id)
    if entry.channel == "console":
        return gettext(AT_THE_CONSOLE)
    return None
