"""Files for the administration's handlers: reading an uploaded import, writing XLSX reports.

Handlers do not import storage; this thin bridge in the composition layer does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from core.imports import ALIASES
from core.reports import JournalExport, Table
from core.tabular import Problem, SourceTable

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


def report_xlsx(report: Table | JournalExport, gettext: Gettext) -> bytes:
    from storage.exports import journal_xlsx, table_xlsx

    if isinstance(report, JournalExport):
        return journal_xlsx(report, gettext)
    return table_xlsx(report, gettext)
