"""The files the deputy's pushes carry, made when each is sent, for its recipient
(``notifications.files``): the weekly journal analysis and the preliminary results, as the
administration's report screens write them."""

from __future__ import annotations

import asyncio
from datetime import date

from app.admin_files import report_file_name, report_xlsx
from app.batches import console_reads
from core.accounts import AccountService
from core.clock import Clock
from core.control import ControlReports
from core.ports import UnitOfWorkFactory
from core.reports import ReportService
from locales import terms, translations
from notifications.files import Builder, File, PushFiles


def push_files(uow: UnitOfWorkFactory, clock: Clock) -> PushFiles:
    reads = console_reads(uow, clock)  # the recipient's reads are on record like any report's
    control = ControlReports(ReportService(uow, clock, reads))

    async def quality(viewer, args: str, locale: str) -> File:  # type: ignore[no-untyped-def]
        """``<period number>:<last day>``: the period up to that day."""
        number, _sep, end = args.partition(":")
        analysis = await control.quality(viewer, int(number), date.fromisoformat(end))
        await reads.flush()
        tables = (analysis.by_teacher, analysis.by_class)
        data = await asyncio.to_thread(report_xlsx, tables, locale)
        _ = translations(locale).gettext
        days = f"{analysis.start:%d.%m.%Y} - {analysis.end:%d.%m.%Y}"
        return File(report_file_name(_("Journal quality"), days), data)

    async def preliminary(viewer, args: str, locale: str) -> File:  # type: ignore[no-untyped-def]
        """``<period number>``: every class."""
        table = await control.preliminary(viewer, None, int(args))
        await reads.flush()
        data = await asyncio.to_thread(report_xlsx, table, locale)
        _ = translations(locale).gettext
        kind = str(table.facts.get("period_kind", "quarter"))
        period = terms.period(_, locale, kind, int(args))
        return File(report_file_name(_("Preliminary results"), period), data)

    builders: dict[str, Builder] = {"quality": quality, "preliminary": preliminary}
    return PushFiles(AccountService(uow, clock), builders)
