"""The printable invite sheet for a parents' meeting: XLSX and PDF, a QR code per person.

A QR code for each messenger the school runs (Telegram's ``t.me`` deep link, MAX's ``max.ru``
one) whose bot's username is known, labelled when there are two; else one QR code with the code.
The wording names the messengers that run, and only those.
The PDF's font is DejaVu Sans (Cyrillic), shipped inside matplotlib's package data.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import qrcode
from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.drawing.image import Image as XlImage
from openpyxl.styles import Alignment, Font

from app.messages import MESSENGERS, N_
from core.access_admin import SheetLine
from locales import terms

Gettext = Callable[[str], str]
# A code's deep links as (messenger, link) pairs (app.config.Settings.invite_links); a function
# giving one link or None (Telegram's, as before MAX) is taken too.
LinkFor = Callable[[str], Sequence[tuple[str, str]] | str | None]
# The messengers of the invite and their bots' usernames (Settings.invite_bots); a username
# alone, or None, means Telegram.
Bots = Mapping[str, str | None] | str | None

CARDS_PER_PAGE = 8  # 2 x 4 cards on an A4 page
_COLUMNS, _ROWS = 2, 4
_PAGE_W, _PAGE_H, _MARGIN = 210.0, 297.0, 10.0
_QR_MM = 38.0
_QR2_MM = 27.0  # two QR codes, one above the other, on a card

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


def links_of(code: str, link_for: LinkFor) -> list[tuple[str, str]]:
    """The code's deep links as (messenger, link); [] when no bot's username is known."""
    found = link_for(code)
    if not found:
        return []
    if isinstance(found, str):
        return [("telegram", found)]
    return list(found)


def qr_payloads(line: SheetLine, link_for: LinkFor) -> list[tuple[str, str]]:
    """What each QR code of the line holds, with its messenger: a deep link per messenger, or
    the code alone (one QR code, no messenger) when no link is known."""
    return links_of(line.code, link_for) or [("", line.code)]


def qr_payload(line: SheetLine, link_for: LinkFor) -> str:
    return qr_payloads(line, link_for)[0][1]


def bots_of(bots: Bots) -> dict[str, str | None]:
    if bots is None or isinstance(bots, str):
        return {"telegram": bots or None}
    return dict(bots) or {"telegram": None}


def how_to_start(_: Gettext, bots: Bots) -> str:
    """How to sign in with the card, naming the messengers of the invite and only those."""
    bots = bots_of(bots)
    if set(bots) >= {"telegram", "max"}:
        return _(
            "Scan the QR code of your messenger, Telegram or MAX, with the phone's camera and "
            "press Start, or send /start and the code to the school's bot there."
        )
    if "max" in bots:
        if bots["max"]:
            return _(
                "Scan the QR code with the phone's camera and press Start in MAX, "
                "or send /start and the code to the bot {bot} in MAX."
            ).format(bot=bots["max"])
        return _("Send /start and the code to the school's bot in MAX.")
    if bots.get("telegram"):
        return _(
            "Scan the QR code with the phone's camera and press Start in Telegram, "
            "or send /start and the code to @{bot}."
        ).format(bot=bots["telegram"])
    return _("Send /start and the code to the school's bot in Telegram.")


def _headers(_: Gettext, messengers: Sequence[str]) -> list[str]:
    """The table's columns: with links of two messengers, a link and a QR code for each."""
    if len(messengers) < 2:
        return [_(h) for h in HEADERS]
    named = [MESSENGERS.get(m, m) for m in messengers]
    return [
        *(_(h) for h in HEADERS[:6]),
        *(_("Link ({messenger})").format(messenger=m) for m in named),
        _(HEADERS[7]),
        *(_("QR code ({messenger})").format(messenger=m) for m in named),
    ]


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
    messengers = [m for m, _link in links_of(lines[0].code, link_for)] if lines else []
    links = max(len(messengers), 1)  # link columns; as many QR codes
    sheet.append(_headers(_, messengers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = (5, 34, 12, 34, 8, 28, *(48,) * links, 13, *(22,) * links)
    for i, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + i)].width = width
    for n, line in enumerate(lines, start=1):
        row = n + 1
        found = dict(links_of(line.code, link_for))
        shown = [found.get(m, "") for m in messengers] if messengers else [""]
        sheet.append(
            [
                n,
                line.name,
                terms.role(_, line.role),
                line.children,
                line.class_name,
                line.code,
                *shown,
                _until(line, tz),
            ]
        )
        for cell in sheet[row]:
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        for i, (_messenger, payload) in enumerate(qr_payloads(line, link_for)[:links]):
            picture = XlImage(io.BytesIO(qr_png(payload, box=3)))
            picture.width = picture.height = 110
            sheet.add_image(picture, f"{chr(ord('A') + 7 + links + i)}{row}")
        sheet.row_dimensions[row].height = 86
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_pdf(
    lines: Sequence[SheetLine],
    _: Gettext,
    link_for: LinkFor,
    tz: ZoneInfo,
    bots: Bots = None,
) -> bytes:
    """Cards to cut out, eight to a page: who, the QR code (one per messenger), the code and
    until when. ``bots``: the messengers of the invite and their bots' usernames."""
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(font_path()))
    pdf.set_title(_("Invite codes"))
    card_w = (_PAGE_W - 2 * _MARGIN) / _COLUMNS
    card_h = (_PAGE_H - 2 * _MARGIN) / _ROWS
    how = how_to_start(_, bots) + " " + _("The code works once.")
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
        payloads = qr_payloads(line, link_for)
        two = len(payloads) > 1  # a QR code for each messenger, one above the other, labelled
        qr_mm = _QR2_MM if two else _QR_MM
        if two:
            for i, (messenger, payload) in enumerate(payloads[:2]):
                top = y + 3 + i * (qr_mm + 4)
                pdf.image(io.BytesIO(qr_png(payload)), x + 3, top, qr_mm, qr_mm)
                pdf.set_xy(x + 3, top + qr_mm - 0.5)
                pdf.set_font("DejaVu", size=7)
                pdf.cell(qr_mm, 3.5, MESSENGERS.get(messenger, messenger), align="C")
        else:
            pdf.image(io.BytesIO(qr_png(payloads[0][1])), x + 3, y + 4, qr_mm, qr_mm)
        tx, tw = x + qr_mm + 6, card_w - qr_mm - 9
        pdf.set_xy(tx, y + 5)
        pdf.set_font("DejaVu", size=10)
        pdf.multi_cell(tw, 4.6, line.name)
        pdf.set_font("DejaVu", size=8)
        role = terms.role(_, line.role)
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
        if two:  # the code and the words go on beside the QR codes
            left, width = tx, tw
            pdf.set_xy(left, pdf.get_y() + 2)
        else:  # below the QR code, across the card
            left, width = x + 3, card_w - 6
            pdf.set_xy(left, y + qr_mm + 7)
        pdf.set_font("DejaVu", size=9)
        pdf.multi_cell(width, 4.5, _("Code: {code}").format(code=line.code))
        pdf.set_x(left)
        pdf.set_font("DejaVu", size=7.5)
        pdf.multi_cell(width, 3.6, how)
    return bytes(pdf.output())
