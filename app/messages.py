"""Domain errors as sentences in the user's language, for every front-end and the console."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time

from babel.dates import format_date, format_datetime

from core.errors import DomainError
from locales import terms, translations


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


ERROR_MESSAGES: dict[str, str] = {
    "domain_error": N_("This cannot be done."),
    "not_found": N_("Nothing was found: it may have been removed, or the number is wrong."),
    "access_denied": N_("You do not have access to this."),
    "private_chat_required": N_("Personal data is shown only in a private chat with the bot."),
    "validation_failed": N_("Please check the data: {field} is not valid."),
    "period_closed": N_("This study period is closed; its records can no longer be changed."),
    "no_period": N_("{day} is not in a study period."),
    "not_lesson_day": N_(
        "The lesson of {lesson_day} can only be filled in on its day; today is {today}."
    ),
    "lesson_in_future": N_("The lesson of {lesson_day} has not taken place yet."),
    "lesson_not_started": N_(
        "The lesson at {starts_at} has not begun yet: absences and marks are entered once it "
        "has begun."
    ),
    "absent_no_mark": N_(
        "Marked absent in this lesson, so no mark but «n/a» or «exempt»: {students}\n"
        "If the student is in class, correct the roll first. Nothing was saved."
    ),
    "lesson_cancelled": N_("This lesson is cancelled."),
    "homework_window_closed": N_(
        "Homework for this lesson could be set until {deadline}; that time has passed."
    ),
    "mark_deadline_passed": N_(
        "Marks for the lesson of {lesson_day} could be given until {deadline}. "
        "Please ask the deputy head for a correction."
    ),
    "first_grade_no_marks": N_("First grade is not given marks."),
    "first_grade_no_homework": N_("First grade is not given homework."),
    "correction_window_passed": N_(
        "You could correct this mark until {deadline}. "
        "Please ask the deputy head or the journal administrator."
    ),
    "reason_required": N_("Please give the reason for the correction."),
    "final_window_closed": N_("Period marks can be given from {opens_on} to {closes_on}."),
    "student_not_in_lesson": N_("This student is not on the list for this lesson."),
    "not_absent": N_("The student was not absent."),
    "already_superseded": N_("This mark has already been corrected."),
    "invite_invalid": N_("This code does not work: it is wrong, used or expired."),
    "invite_days_refused": N_("An invite code can be valid for 1 to {max_days} days, not {days}."),
    "consent_required": N_("Please first agree to the processing of personal data: send /start."),
    "unknown_class": N_("There is no class {class_name} in the school this year."),
    "class_ambiguous": N_("Please name the class with its letter: {classes}."),
    "no_lesson_with_class": N_("You have no lesson with {class_name} to enter this for."),
    "unknown_work_type": N_(
        "The school has no work type «{token}». Please use one of these: {known}."
    ),
    "no_class_teacher": N_("The class has no class teacher yet; please contact the school."),
    "letter_refused": N_(
        "You cannot write to them about this child: letters go between a family and the "
        "child's teachers, the class teacher and the school administration. Nothing was sent."
    ),
    "substitution_too_late": N_(
        "A substitute is recorded before the lesson, or on its day before anything is written "
        "in it; for the lesson of {lesson_day} it is too late."
    ),
    "teacher_busy": N_("{teacher} already has a lesson then: {class_name}, {day}, lesson {slot}."),
    "slot_taken": N_("{class_name} already has a lesson on {day}, lesson {slot}."),
    "not_school_day": N_(
        "{day} is not a school day ahead: a holiday, a day off, a weekend, a past day or a day "
        "outside the study periods."
    ),
    "no_such_slot": N_("The school has no lesson number {slot} in its bells."),
    "lesson_has_records": N_(
        "The lesson of {lesson_day} already has marks, absences or remarks: it cannot be "
        "cancelled or moved."
    ),
    "lesson_over": N_("The lesson of {lesson_day} is over: it can no longer be moved."),
    "period_not_over": N_(
        "A study period is closed on its last day or later; this one ends on {ends_on}."
    ),
    "transfer_refused": N_("The student cannot be moved: {why}."),
    "period_dates_refused": N_("These dates cannot be the period's."),
    "no_such_lesson": N_("{class_name} has no lesson on {day}, lesson {slot}."),
    "no_codes_after_leaving": N_(
        "The student left the school on {left_on}: no new invite codes are issued."
    ),
    "student_left": N_(
        "The student left the school on {left_on}. Until {readable_until} only the final marks "
        "can be seen: /finals."
    ),
    "busy": N_("The journal is busy right now, nothing was changed. Please try again in a minute."),
    "remark_teacher_refused": N_(
        "This teacher does not keep that part of the journal: a remark goes to the subject's "
        "teacher in the class, the lesson's teacher or the class teacher."
    ),
    "remark_due_refused": N_("The date to fix it by must be from {earliest} to {latest}."),
    "remark_text_refused": N_("Please write the remark: up to {limit} characters."),
}

# Why a student cannot be moved to another class so (core.people); the import tells the same.
TRANSFER_PROBLEMS: dict[str, str] = {
    "left": N_("the student left the school on {left_on}"),
    "same_class": N_("the student is in {class_name} already"),
    "outside_year": N_("{day} is outside the school year {year}"),
    "too_early": N_(
        "the student is in {class_name} since {since}: a transfer can start the day after"
    ),
    "closed_period": N_(
        "the transfer would change {period}, which is closed: give a day after its end"
    ),
    "records": N_(
        "{count} marks or absences in {class_name} from {day} on would be left outside the "
        "class: give a later day"
    ),
}

PERIOD_DATES: dict[str, str] = {
    "outside_year": N_(
        "A period lies within its school year {year}: from {starts_on} to {ends_on}."
    ),
    "overlaps": N_("The new dates overlap {period}."),
}

# What a refused field is, in words (a field's code never reaches the reader).
FIELDS: dict[str, str] = {
    "new_value": N_("the new mark"),
    "text": N_("the text"),
    "reason": N_("the reason"),
    "room": N_("the room"),
    "minutes_late": N_("the minutes late"),
    "due_on": N_("the due date"),
    "end": N_("the last day"),
    "ends_on": N_("the last day"),
    "year": N_("the school year"),
    "ttl_days": N_("how long the code works"),
    "quiet_hours": N_("the quiet hours"),
    "locale": N_("the language"),
    "role": N_("the role"),
    "attachments": N_("the attachment"),
    "period_id": N_("the period"),
    "guardian": N_("the parent"),
}
# A refusal that says more than «not valid»: (field, problem).
VALIDATION: dict[tuple[str, str], str] = {
    ("new_value", "unchanged"): N_("The new mark is the same as the old one: nothing to correct."),
}

INVITE_PROBLEMS: dict[str, str] = {
    "unknown": N_("This code is not known. Please check it and try again."),
    "used": N_("This code has already been used. Please ask the school for a new one."),
    "expired": N_("This code has expired. Please ask the school for a new one."),
    "revoked": N_("This code has been revoked. Please ask the school for a new one."),
}


def _fact(value: object, locale: str) -> object:
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime):
        return format_datetime(value, "d MMMM, HH:mm", locale=locale)
    if isinstance(value, date):
        return format_date(value, "d MMMM", locale=locale)
    return value


def _facts(error: DomainError, locale: str, gettext: Callable[[str], str]) -> dict[str, object]:
    """The error's facts for its sentence; a period given by number and kind is named as
    everywhere («II четверть»)."""
    facts = {k: _fact(v, locale) for k, v in error.facts.items()}
    if "kind" in facts and isinstance(facts.get("number"), int):
        facts["period"] = terms.period(gettext, locale, str(facts["kind"]), facts["number"])  # type: ignore[arg-type]
    return facts


def describe_error(error: DomainError, locale: str) -> str:
    """The refusal in the user's language, with its dates and names filled in."""
    gettext: Callable[[str], str] = translations(locale).gettext
    if error.code == "invite_invalid":
        template = INVITE_PROBLEMS.get(str(error.facts.get("why")), ERROR_MESSAGES[error.code])
    elif error.code == "validation_failed":
        field, problem = str(error.facts.get("field")), str(error.facts.get("problem"))
        if (field, problem) in VALIDATION:
            return gettext(VALIDATION[(field, problem)])
        what = gettext(FIELDS[field]) if field in FIELDS else gettext(N_("the data"))
        return gettext(ERROR_MESSAGES["validation_failed"]).format(field=what)
    elif error.code == "period_dates_refused":
        template = PERIOD_DATES.get(str(error.facts.get("why")), ERROR_MESSAGES[error.code])
    elif error.code == "transfer_refused":
        reason = TRANSFER_PROBLEMS.get(str(error.facts.get("why")), ERROR_MESSAGES["domain_error"])
        facts = _facts(error, locale, gettext)
        try:
            why = gettext(reason).format(**facts)
        except (KeyError, IndexError):
            why = ""
        return gettext(ERROR_MESSAGES["transfer_refused"]).format(why=why)
    else:
        template = ERROR_MESSAGES.get(error.code, ERROR_MESSAGES["domain_error"])
    facts = _facts(error, locale, gettext)
    try:
        return gettext(template).format(**facts)
    except (KeyError, IndexError):
        return gettext(ERROR_MESSAGES["domain_error"])


# -- invites --------------------------------------------------------------------------------------

MESSENGERS = {"telegram": "Telegram", "max": "MAX"}  # brand names, not translated; in this order


def messenger_name(messenger: str) -> str:
    return MESSENGERS.get(messenger, messenger.capitalize())


def link_lines(_: Callable[[str], str], links: Sequence[tuple[str, str]]) -> list[str]:
    """A code's deep links (messenger, link): «Link: …», or one line per messenger when the
    school runs two."""
    if len(links) == 1:
        return [_("Link: {link}").format(link=links[0][1])]
    return [
        _("Link for {messenger}: {link}").format(messenger=messenger_name(m), link=link)
        for m, link in links
    ]
