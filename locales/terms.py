"""The school's words that every screen, push and report uses, defined once: the absence
reasons, the kinds of work a mark is given for, study periods, marks that are words, final
marks, lesson changes, remarks and roles. Screens (``handlers.render``), pushes
(``notifications.render``) and the printouts take their names from here and keep none of
their own.

Message ids only, and small functions that pick them; each caller passes its own ``gettext``
(the handler's ``_``, a push's recipient's catalogue, a report's language), so the diary, the
pushes, the class teacher's screens and the reports say the same thing in the same words.
"""

from __future__ import annotations

from collections.abc import Callable

Gettext = Callable[[str], str]


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated where it is shown."""
    return message


# --- absence reasons (rule 7: Б sick, У excused, Н unexcused; and none recorded yet) --------

SICK, EXCUSED, UNEXCUSED = "sick", "excused", "unexcused"
REASONS = (SICK, EXCUSED, UNEXCUSED)

# How an absence is described: «пропуск по болезни», «… без уважительной причины».
_REASON = {
    SICK: N_("due to illness"),
    EXCUSED: N_("for a good reason"),
    UNEXCUSED: N_("without a good reason"),
}
# An absence whose reason the class teacher has not recorded yet: not the same as Н.
_NO_REASON = N_("no reason given yet")
# The letters of the paper journal: Б, У, Н.
_LETTER = {SICK: N_("S"), EXCUSED: N_("E"), UNEXCUSED: N_("U")}


def reason(gettext: Gettext, value: str | None) -> str:
    """«по болезни», «по уважительной причине», «без уважительной причины» or, while none
    is recorded, «причина не указана»."""
    return gettext(_REASON[value]) if value in _REASON else gettext(_NO_REASON)


def reason_letter(gettext: Gettext, value: str) -> str:
    """Б, У, Н (S, E, U in English)."""
    return gettext(_LETTER[value])


def reason_legend(gettext: Gettext) -> str:
    """«Б — по болезни, У — по уважительной причине, Н — без уважительной причины.»"""
    return ", ".join(f"{reason_letter(gettext, x)} — {reason(gettext, x)}" for x in REASONS) + "."


def reason_counts(gettext: Gettext, counts: dict[str | None, int], *, zeros: bool = False) -> str:
    """«по болезни — 1, без уважительной причины — 2, причина не указана — 1»: each reason
    and the absences with none yet, in the same words as everywhere (zeros left out unless
    asked for)."""
    parts = [
        f"{reason(gettext, key)} — {counts.get(key, 0)}"
        for key in (*REASONS, None)
        if zeros or counts.get(key, 0)
    ]
    return ", ".join(parts)


def capital(text: str) -> str:
    """A term at the start of a line or a column header."""
    return text[:1].upper() + text[1:]


# --- kinds of work (003 reg.2 §2.1.4) ---------------------------------------------------------

# The standard kinds (core/work_types.py) by name, for languages other than the school's own:
# a Russian school names its work types itself, in Russian.
_WORK = {
    "oral": N_("oral answer"),
    "test": N_("test"),
    "independent": N_("quiz"),
    "lab": N_("lab work"),
    "practical": N_("practical work"),
    "homework": N_("homework"),
    "essay": N_("essay"),
    "dictation": N_("dictation"),
    "summary": N_("précis"),
    "check": N_("check-up test"),
    "project": N_("project"),
}
SCHOOL_LANGUAGE = "ru"


def work_type(
    gettext: Gettext, locale: str, code: str, short: str, name: str = "", *, tight: bool = False
) -> str:
    """A mark's kind of work. In Russian the school's own: its name in running text
    («устный ответ»), its abbreviation where space is tight («У»); in another language the
    standard kind's name, else whatever the school calls it."""
    if locale == SCHOOL_LANGUAGE:
        if tight or not name:
            return short or name
        return _inline(name)
    if code in _WORK:
        return gettext(_WORK[code])
    return (short if tight else name) or short or name


def _inline(name: str) -> str:
    """«Устный ответ» → «устный ответ» inside a sentence; an abbreviation (ВПР) stays."""
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


# --- study periods (DESIGN.md glossary: четверть, триместр, полугодие, семестр) -------------

_PERIOD = {
    "quarter": N_("{n} quarter"),
    "trimester": N_("{n} trimester"),
    "half_year": N_("{n} half-year"),
    "semester": N_("{n} semester"),
}
_ROMAN = ("", "I", "II", "III", "IV", "V", "VI")


def period(gettext: Gettext, locale: str, kind: str, number: int) -> str:
    """A study period's one name everywhere: «II четверть», «I полугодие», «III триместр»; in
    English «Quarter 2», «Half-year 1», «Term 3». ``kind`` is a ``PeriodKind`` value."""
    n = str(number)
    if locale == SCHOOL_LANGUAGE and 0 < number < len(_ROMAN):
        n = _ROMAN[number]
    return gettext(_PERIOD.get(str(kind), _PERIOD["quarter"])).format(n=n)


# Where a button or a column has room for the number only: «II» in Russian, «Q2» in English.
_PERIOD_SHORT = {
    "quarter": N_("Q{n}"),
    "trimester": N_("T{n}"),
    "half_year": N_("H{n}"),
    "semester": N_("S{n}"),
}


def period_short(gettext: Gettext, locale: str, kind: str, number: int) -> str:
    """A study period where space is tight: «II» (Russian), «Q2», «T3», «H1» (English)."""
    if locale == SCHOOL_LANGUAGE and 0 < number < len(_ROMAN):
        return _ROMAN[number]
    return gettext(_PERIOD_SHORT.get(str(kind), _PERIOD_SHORT["quarter"])).format(n=number)


# --- marks that are words (003 reg.2 §2.1.3: зачёт, незачёт, не аттестован, освобождён) -----

_MARK = {"pass": N_("pass"), "fail": N_("fail"), "na": N_("n/a"), "exempt": N_("exempt")}


def mark(gettext: Gettext, value: str | None) -> str:
    """A mark as it is shown: «5», «зач», «н/а», «осв»; «—» where there is none. ``value`` is
    a ``MarkValue`` or its value."""
    if value is None:
        return "—"
    return gettext(_MARK[value]) if value in _MARK else str(value)


# --- period, year, exam and final marks (003 reg.3) -------------------------------------------

# In running text, a push: «оценка за год»; in a column of the diary, short: «год».
_FINAL = {
    "year": N_("the year mark"),
    "exam": N_("the exam mark"),
    "final": N_("the final mark"),
}
_FINAL_SHORT = {"year": N_("year"), "exam": N_("exam"), "final": N_("final")}


def final_mark(
    gettext: Gettext, locale: str, kind: str | None, period_kind: str | None, number: int | None
) -> str:
    """«оценка за II четверть», «годовая оценка» …: what a final mark is, in running text.
    ``kind`` is a ``FinalKind`` value; a period's mark names its period."""
    if kind == "period":
        return gettext(N_("the mark for the {period}")).format(
            period=period(gettext, locale, period_kind or "quarter", number or 0)
        )
    return gettext(_FINAL.get(kind or "", _FINAL["final"]))


def final_label(gettext: Gettext, kind: str) -> str:
    """«год», «экзамен», «итог»: a final mark's kind where space is tight."""
    return gettext(_FINAL_SHORT[kind])


# --- changes of a lesson (the timetable's cancellations, extra lessons) ----------------------

CANCELLATION, RESTORED, ADDED = "cancellation", "restored", "added"
_CHANGE = {
    CANCELLATION: N_("cancelled"),
    RESTORED: N_("will take place after all"),
    ADDED: N_("an extra lesson"),
}


def lesson_change(gettext: Gettext, change: str) -> str:
    """«отменён», «всё-таки состоится», «дополнительный урок»."""
    return gettext(_CHANGE[change])


# --- remarks in the diary: praise or a remark -------------------------------------------------

_REMARK = {"praise": N_("praise"), "remark": N_("remark")}


def remark_kind(gettext: Gettext, kind: str | None) -> str:
    """«похвала» or «замечание» (anything but praise is a remark)."""
    return gettext(_REMARK["praise" if kind == "praise" else "remark"])


# --- roles (an invite's role, an account's link) ----------------------------------------------

STAFF = "staff"
_ROLE = {
    "guardian": N_("Parent"),
    "student": N_("Student"),
    "teacher": N_("Teacher"),
    "deputy": N_("Deputy head"),
    "director": N_("Head of school"),
    "admin": N_("Journal administrator"),
    STAFF: N_("Staff member"),
}


def role(gettext: Gettext, value: str) -> str:
    """«Родитель», «Ученик», «Учитель» …; a role without a name of its own is shown as it is.
    ``value`` is a ``PersonRole`` value."""
    return gettext(_ROLE[value]) if value in _ROLE else str(value)
