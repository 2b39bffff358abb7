"""Files for the administration's handlers: reading an uploaded import, writing XLSX reports.

Handlers do not import storage; this thin bridge in the composition layer does.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

from core.imports import ALIASES
from core.reports import JournalExport, Table
from core.tabular import Problem, SourceTable
from locales import terms, translations

Gettext = Callable[[str], str]


def read_upload(name: str, data: bytes) -> tuple[list[SourceTable], list[Problem]]:
    """The file's tables, or the problems that keep it from being read."""
    from storage.importers import ImportFileError, read_oneroster, read_table_file

    try:
        if name.lower().endswith(".zip"):
            return read_oneroster(Path(name), data=data), []
        return read_table_file(Path(name), ALIASES, data=data), []
    except ImportFileError as exc:
        return [], exc.problems


def report_file_name(*parts: str) -> str:
    """«Сводная ведомость отметок, 7А, II четверть.xlsx»: named as its title, in the reader's
    language; no character a file system refuses."""
    name = ", ".join(p for p in parts if p)
    return "".join("-" if c in '\\/:*?"<>|' else c for c in name) + ".xlsx"


def report_xlsx(report: Table | JournalExport | tuple[Table, ...], locale: str) -> bytes:
    """The report as a workbook in ``locale``, its periods named as every screen names them;
    several tables: one sheet each."""
    from storage.exports import journal_xlsx, table_xlsx, tables_xlsx

    gettext = translations(locale).gettext
    period_name = partial(terms.period, gettext, locale)
    if isinstance(report, JournalExport):
        return journal_xlsx(report, gettext, period_name)
    if isinstance(report, tuple):
        return tables_xlsx(report, gettext, period_name)
    return table_xlsx(report, gettext, period_name)


def report_note(report: Table, locale: str) -> str:
    """Why a report has nothing in it, in words (an empty summary sheet in mid-period), or ""."""
    from storage.exports import EMPTY

    why = EMPTY.get(str(report.facts.get("empty")))
    if not why:
        return ""
    facts = {k: v for k, v in report.facts.items() if k in ("opens", "closes")}
    days = {k: f"{v:%d.%m.%Y}" for k, v in facts.items() if isinstance(v, date)}
    return translations(locale).gettext(why).format(**days)
