"""The archive put together (rule 12): its files in the school's language — the journals'
and summary sheets' workbooks (``storage.exports``), the summary sheet's PDF (fpdf2 with a
Cyrillic font) — written by ``storage.archive`` into every backup place after each close:
nightly (a job of the scheduler), at the console and from ``/admin``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any

from app.config import Settings
from core.archive import ArchiveService
from core.clock import Clock
from core.ports import UnitOfWorkFactory
from core.reports import JournalExport, Table
from locales import terms, translations

if TYPE_CHECKING:
    from storage.archive import Entry

logger = logging.getLogger(__name__)


def _signature(_: Any) -> str:
    # 000 §4.6, §5.4: the printed summary sheet «заверяется в установленном порядке»
    return _("Director: ____________________    Date: ____________")


@dataclass
class ArchiveFiles:
    """The files' contents in ``locale`` (``storage.archive.Render``)."""

    locale: str

    @cached_property
    def _(self) -> Any:
        return translations(self.locale).gettext

    def journal(self, export: JournalExport) -> bytes:
        from storage.exports import journal_xlsx

        return journal_xlsx(export, self._, partial(terms.period, self._, self.locale))

    def summary_xlsx(self, table: Table) -> bytes:
        from storage.exports import table_xlsx

        return table_xlsx(table, self._, partial(terms.period, self._, self.locale))

    def summary_pdf(self, table: Table) -> bytes:
        from storage.exports import table_text

        title, headers, rows = table_text(
            table, self._, partial(terms.period_short, self._, self.locale)
        )
        return _table_pdf(title, headers, rows, _signature(self._))


def _table_pdf(title: str, headers: list[str], rows: list[list[str]], footer: str) -> bytes:
    """A landscape A4 table: the title and the header on every page, a student's name on the
    first line of their subjects only, a rule between students, the line for the signature."""
    from fpdf import FPDF

    from app.invite_sheet import font_path

    pdf = FPDF(orientation="L", format="A4")
    pdf.set_creation_date(datetime(2000, 1, 1, tzinfo=UTC))  # the same sheet, the same bytes
    pdf.add_font("DejaVu", "", str(font_path()))
    pdf.set_auto_page_break(True, margin=15)
    fixed = (9.0, 62.0, 46.0)  # No., student, subject; the marks share the rest
    rest = (pdf.epw - sum(fixed)) / max(1, len(headers) - len(fixed))
    widths = [*fixed, *([rest] * (len(headers) - len(fixed)))]

    def head() -> None:
        pdf.set_font("DejaVu", size=11)
        pdf.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("DejaVu", size=7)
        pdf.set_fill_color(230, 230, 230)
        for text, width in zip(headers, widths, strict=True):
            pdf.cell(width, 8, text, border=1, align="C", fill=True)
        pdf.ln()
        pdf.set_font("DejaVu", size=8)

    pdf.add_page()
    head()
    last = None
    for row in rows:
        if pdf.will_page_break(6):
            pdf.add_page()
            head()
            last = None
        student = tuple(row[:2])
        shown = row if student != last else ["", "", *row[2:]]
        border = "LRT" if student != last else "LR"
        for text, width in zip(shown, widths, strict=True):
            pdf.cell(width, 6, text[:48], border=border, align="L" if width > 20 else "C")
        pdf.ln()
        last = student
    pdf.cell(sum(widths), 0, "", border="T")
    pdf.ln(12)
    pdf.set_font("DejaVu", size=10)
    pdf.cell(0, 6, footer)
    return bytes(pdf.output())


@dataclass(frozen=True, slots=True)
class Archiver:
    """Writes what the archive still lacks into every place of ``settings``
    (``storage.archive.catch_up``), in the school's language."""

    uow: UnitOfWorkFactory
    clock: Clock

    async def catch_up(self, settings: Settings) -> list[Entry]:
        from storage.archive import archive_dirs, catch_up

        folders = archive_dirs(settings)
        files = ArchiveFiles(settings.default_locale)
        return await catch_up(
            ArchiveService(self.uow, self.clock), folders, files, self.clock.now()
        )

    async def after_close(self, settings: Settings) -> str | None:
        """After a period or a year closes: the archive caught up. The close stands whatever
        happens here, so a failure is logged and returned (for the admin), not raised."""
        try:
            written = await self.catch_up(settings)
        except OSError as exc:
            logger.exception("the archive could not be written")
            return str(exc.strerror or type(exc).__name__)
        if written:
            logger.info("archive: %d files written", len(written))
        return None


def archive_jobs(settings: Settings, uow: UnitOfWorkFactory, clock: Clock) -> list[tuple]:
    """Nightly, after the school calendar's job has closed the periods due (00:10): the archive
    catches up (a failed night is made good the next)."""
    from apscheduler.triggers.cron import CronTrigger

    archiver = Archiver(uow, clock)

    async def nightly_archive() -> int:
        return len(await archiver.catch_up(settings))

    return [("archive", nightly_archive, CronTrigger(hour=0, minute=40, timezone=clock.tz))]
