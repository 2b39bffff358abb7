"""The printable invite sheet for a parents' meeting: XLSX and PDF, a QR code per person.

The QR code holds the ``t.me`` deep link when the bot's username is known, else the code.
The PDF's font is DejaVu Sans (Cyrillic), shipped inside matplotlib's package data.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import qrcode
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlImage
from openpyxl.styles import Alignment, Font

from bot.messages import N_
from core.access_admin import SheetLine
from core.model import PersonRole

Gettext = Callable[[str], str]
LinkFor = Callable[[str], str | None]

CARDS_PER_PAGE = 8  # 2 x 4 cards on an A4 page
_COLUMNS, _ROWS = 2, 4
_PAGE_W, _PAGE_H, _MARGIN = 210.0, 297.0, 10.0
_QR_MM = 38.0

ROLE_NAMES = {
    PersonRole.GUARDIAN: N_("Parent"),
    PersonRole.STUDENT: N_("Student"),
    PersonRole.TEACHER: N_("Teacher"),
    PersonRole.DEPUTY: N_("Deputy head"),
    PersonRole.DIRECTOR: N_("Head of school"),
    PersonRole.ADMIN: N_("Journal administrator"),
}
HEADERS = (
    N_("No."),
    N_("Name"),
    N_("Role"),
    N_("Child"),
    N_("Class"),
    N_("Code"),
    N_("Link"),
    N_("Valid until"),
    N_("QR code"),
)


def font_path() -> Path:
    """A TTF with Cyrillic: matplotlib's DejaVu Sans, else Debian's fonts-dejavu-core."""
    try:
        import matplotlib

        bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
        if bundled.is_file():
            return bundled
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    return Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def qr_payload(line: SheetLine, link_for: LinkFor) -> str:
    return link_for(line.code) or line.code


def qr_png(data: str, box: int = 6) -> bytes:
    image = qrcode.make(data, box_size=box, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _until(line: SheetLine, tz: ZoneInfo) -> str:
    at: datetime = line.expires_at.astimezone(tz)
    return at.strftime("%d.%m.%Y")


def sheet_xlsx(lines: Sequence[SheetLine], _: Gettext, link_for: LinkFor, tz: ZoneInfo) -> bytes:
    book = Workbook()
    sheet = book.active
    staff = bool(lines) and lines[0].role.is_staff
    sheet.title = ((lines[0].class_name if lines and not staff else "") or _("Invite codes"))[:31]
    sheet.append([_(h) for h in HEADERS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = (5, 34, 12, 34, 8, 28, 48, 13, 22)
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    for n, line in enumerate(lines, start=1):
        row = n + 1
        sheet.append(
            [
                n,
                line.name,
                _(ROLE_NAMES.get(line.role, line.role.value)),
                line.children,
                line.class_name,
                line.code,
                link_for(line.code) or "",
                _until(line, tz),
            ]
        )
        for cell in sheet[row]:
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        picture = XlImage(io.BytesIO(qr_png(qr_payload(line, link_for), box=3)))
        picture.width = picture.height = 110
        sheet.add_image(picture, f"I{row}")
        sheet.row_dimensions[row].height = 86
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_pdf(
    lines: Sequence[SheetLine],
    _: Gettext,
    link_for: LinkFor,
    tz: ZoneInfo,
    bot_username: str | None = None,
) -> bytes:
    """Cards to cut out, eight to a page: who, the QR code, the code and until when."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(font_path()))
    pdf.set_title(_("Invite codes"))
    card_w = (_PAGE_W - 2 * _MARGIN) / _COLUMNS
    card_h = (_PAGE_H - 2 * _MARGIN) / _ROWS
    for n, line in enumerate(lines):
        if n % CARDS_PER_PAGE == 0:
            pdf.add_page()
        col, row = n % _COLUMNS, (n % CARDS_PER_PAGE) // _COLUMNS
        x, y = _MARGIN + col * card_w, _MARGIN + row * card_h
        pdf.set_draw_color(170, 170, 170)
        pdf.set_line_width(0.2)
        pdf.set_dash_pattern(dash=1, gap=1)
        pdf.rect(x, y, card_w, card_h)
        pdf.set_dash_pattern()
        pdf.image(io.BytesIO(qr_png(qr_payload(line, link_for))), x + 3, y + 4, _QR_MM, _QR_MM)
        tx, tw = x + _QR_MM + 6, card_w - _QR_MM - 9
        pdf.set_xy(tx, y + 5)
        pdf.set_font("DejaVu", size=10)
        pdf.multi_cell(tw, 4.6, line.name)
        pdf.set_font("DejaVu", size=8)
        role = _(ROLE_NAMES.get(line.role, line.role.value))
        details = [role]
        if line.class_name and line.role.is_staff:  # the class they lead
            details = [
                _("{role}, class teacher of {class_name}").format(
                    role=role, class_name=line.class_name
                )
            ]
        elif line.class_name:
            details = [
                _("{role}, class {class_name}").format(role=role, class_name=line.class_name)
            ]
        if line.children:
            details.append(_("Child: {names}").format(names=line.children))
        details.append(_("Valid until {day}").format(day=_until(line, tz)))
        pdf.set_x(tx)
        pdf.multi_cell(tw, 4, "\n".join(details))
        pdf.set_xy(x + 3, y + _QR_MM + 7)
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(card_w - 6, 4.5, _("Code: {code}").format(code=line.code))
        pdf.set_x(x + 3)
        pdf.set_font("DejaVu", size=7.5)
        if bot_username:
            how = _(
                "Scan the QR code with the phone's camera and press Start in Telegram, "
                "or send /start and the code to @{bot}."
            ).format(bot=bot_username)
        else:
            how = _("Send /start and the code to the school's bot in Telegram.")
        pdf.multi_cell(card_w - 6, 3.6, how + " " + _("The code works once."))
    return bytes(pdf.output())
