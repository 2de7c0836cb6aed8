"""Invoice PDFs in the brand's theme: a pure function from an ``InvoiceDocument`` to bytes.

Choices worth knowing:

- **Fonts.** fpdf2's core fonts (Helvetica…) only encode Latin-1, so "Łukasz", "Ğül" or
  "Дмитрий" would fail or come out as question marks. The module ships subsets of DejaVu Sans
  (regular, bold) and DejaVu Serif (bold, for themes whose headings are serif) in ``fonts/``:
  Latin, Greek and Cyrillic, about 100 KB each, under the DejaVu (Bitstream Vera) licence in
  ``fonts/LICENSE.txt``. They do not depend on what a machine has installed. Characters they
  lack (Arabic, CJK: those need text shaping, which fpdf2 only does with HarfBuzz, not a
  dependency) are decomposed when that yields covered letters, else printed as ``?``; the
  buyer's email, always ASCII, still identifies them.
- **Colours.** Paper is white. The header band, table heading and total use the theme's
  ``primary`` with its ``onPrimary`` text. Body text uses the theme's ``text`` colour, unless
  that colour is light (dark themes such as ``aurum`` have light text for dark screens), in
  which case a dark ink is used instead (the theme's own dark background when it has one):
  light text on white paper is unreadable, while the primary accent still carries the brand.
- **Amounts** are formatted by babel in the invoice's language (``en`` or ``fr``), never by
  float arithmetic; the renderer checks that the totals add up and refuses a document that
  does not (a bug upstream must not become a wrong invoice).
- **Reproducible.** The creation date is the issue date, so the same document renders to the
  same bytes.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from fontTools.ttLib import TTFont
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
LOCALES = {"en": "en", "fr": "fr_FR"}
WHITE = (255, 255, 255)
RGB = tuple[int, int, int]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice",
        "from": "From",
        "bill_to": "Bill to",
        "number": "Invoice number",
        "issued": "Issue date",
        "method": "Payment method",
        "status": "Status",
        "paid_on": "Paid on {date}",
        "unpaid": "Awaiting payment",
        "transaction": "Transaction ID",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "vat": "VAT",
        "amount": "Amount",
        "subtotal": "Subtotal (excl. VAT)",
        "vat_total": "VAT {rate}",
        "total": "Total (incl. VAT)",
        "vat_id": "VAT ID",
        "notes": "Notes",
        "bank": "Bank details",
        "holder": "Account holder",
        "bank_name": "Bank",
        "iban": "IBAN",
        "bic": "BIC",
        "rib": "Account number (RIB)",
        "legal": "Legal notice",
        "page": "Page {page} of {pages}",
        "colon": ": ",
    },
    "fr": {
        "invoice": "Facture",
        "from": "Émetteur",
        "bill_to": "Facturé à",
        "number": "Numéro de facture",
        "issued": "Date d\u2019émission",  # typographic apostrophe
        "method": "Moyen de paiement",
        "status": "Statut",
        "paid_on": "Payée le {date}",
        "unpaid": "En attente de paiement",
        "transaction": "Référence de transaction",
        "description": "Désignation",
        "quantity": "Qté",
        "unit_price": "Prix unitaire HT",
        "vat": "TVA",
        "amount": "Montant HT",
        "subtotal": "Total HT",
        "vat_total": "TVA {rate}",
        "total": "Total TTC",
        "vat_id": "N° de TVA",
        "notes": "Remarques",
        "bank": "Coordonnées bancaires",
        "holder": "Titulaire du compte",
        "bank_name": "Banque",
        "iban": "IBAN",
        "bic": "BIC",
        "rib": "RIB",
        "legal": "Mentions légales",
        "page": "Page {page} sur {pages}",
        "colon": "\u00a0: ",  # French puts a no-break space before a colon
    },
}


@dataclass(frozen=True)
class BankDetails:
    account_holder: str = ""
    bank_name: str = ""
    iban: str = ""
    bic: str = ""
    rib: str = ""
    instructions: str = ""


@dataclass(frozen=True)
class InvoiceSeller:
    name: str
    address_lines: tuple[str, ...] = ()
    vat_id: str = ""
    legal_mentions: str = ""
    bank: BankDetails | None = None


@dataclass(frozen=True)
class InvoiceBuyer:
    name: str
    email: str = ""
    address_lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class InvoiceLine:
    """One line; ``line_total`` excludes VAT. ``vat_rate`` is a percentage (20 for 20 %)."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    line_total: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on an invoice, as issued (amounts already rounded by billing).

    ``subtotal`` is the sum of the lines' ``line_total`` (VAT excluded), ``total`` is
    ``subtotal + vat_total``; ``vat_rate`` is a percentage. ``issued_at`` and ``paid_at`` may
    be dates or datetimes (printed as dates). ``logo`` is PNG or JPEG bytes.
    """

    number: str
    issued_at: dt.date
    currency: str
    seller: InvoiceSeller
    buyer: InvoiceBuyer
    lines: tuple[InvoiceLine, ...]
    subtotal: Decimal
    vat_total: Decimal
    total: Decimal
    vat_rate: Decimal
    payment_method: str
    transaction_id: str = ""
    paid_at: dt.date | None = None
    notes: str = ""
    language: str = "en"
    logo: bytes | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.language not in LABELS:
            raise ValueError(f"language must be one of {sorted(LABELS)}, not {self.language!r}")
        if not self.lines:
            raise ValueError("an invoice needs at least one line")
        if sum((line.line_total for line in self.lines), Decimal(0)) != self.subtotal:
            raise ValueError(f"invoice {self.number}: the lines do not add up to the subtotal")
        if self.subtotal + self.vat_total != self.total:
            raise ValueError(f"invoice {self.number}: subtotal + VAT is not the total")


# --- colours ---------------------------------------------------------------------------------


def _rgb(hex_colour: str) -> RGB:
    value = hex_colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def _luminance(colour: RGB) -> float:
    """WCAG relative luminance."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: RGB, b: RGB) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _mix(a: RGB, b: RGB, weight: float) -> RGB:
    """``a`` moved ``weight`` (0..1) of the way towards ``b``."""
    return (
        round(a[0] + (b[0] - a[0]) * weight),
        round(a[1] + (b[1] - a[1]) * weight),
        round(a[2] + (b[2] - a[2]) * weight),
    )


@dataclass(frozen=True)
class Palette:
    primary: RGB
    on_primary: RGB
    ink: RGB
    muted: RGB
    border: RGB
    tint: RGB


def palette(theme: dict[str, Any]) -> Palette:
    """The theme's colours made fit for white paper (see the module docstring)."""
    colours = theme["colors"]
    primary = _rgb(colours["primary"])
    ink = _rgb(colours["text"])
    if _contrast(ink, WHITE) < 4.5:
        candidates = [_rgb(colours["background"]), _rgb(colours["onPrimary"]), (17, 17, 17)]
        ink = next(colour for colour in candidates if _contrast(colour, WHITE) >= 7)
    muted = _rgb(colours["mutedText"])
    weight = 0.0
    while _contrast(_mix(muted, ink, weight), WHITE) < 4.5 and weight < 1:
        weight += 0.1
    on_primary = _rgb(colours["onPrimary"])
    if _contrast(on_primary, primary) < 3:
        on_primary = max((WHITE, (0, 0, 0)), key=lambda colour: _contrast(colour, primary))
    return Palette(
        primary=primary,
        on_primary=on_primary,
        ink=ink,
        muted=_mix(muted, ink, min(weight, 1.0)),
        border=_rgb(colours["border"]),
        tint=_mix(primary, WHITE, 0.9),
    )


# --- text ------------------------------------------------------------------------------------


@cache
def _covered() -> frozenset[int]:
    """Code points every shipped font can draw."""
    maps = [set(TTFont(FONTS_DIR / name).getBestCmap()) for name in _FONT_FILES.values()]
    return frozenset(set.intersection(*maps))


def printable(text: str) -> str:
    """``text`` with what the fonts cannot draw decomposed (ﬁ → fi) or replaced by ``?``."""
    covered = _covered()
    out: list[str] = []
    for char in unicodedata.normalize("NFC", text):
        category = unicodedata.category(char)
        if char == "\n" or (ord(char) in covered and category not in ("Cc", "Cf")):
            out.append(char)
            continue
        if char == "\t":
            out.append(" ")
            continue
        if category in ("Cc", "Cf"):
            continue
        decomposed = [c for c in unicodedata.normalize("NFKD", char) if ord(c) in covered]
        if decomposed and not unicodedata.combining(decomposed[0]):
            out.append("".join(decomposed))
        elif category.startswith("Z"):
            out.append(" ")
        elif category == "Mn":
            continue
        else:
            out.append("?")
    return "".join(out)


class Formatter:
    """Amounts, quantities, rates and dates in the document's language (babel)."""

    def __init__(self, language: str, currency: str) -> None:
        self.locale = LOCALES[language]
        self.currency = currency
        self.labels = LABELS[language]

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, self.currency, locale=self.locale)

    def quantity(self, value: Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def rate(self, value: Decimal) -> str:
        return format_percent(value / 100, format="#,##0.##%", locale=self.locale)

    def date(self, value: dt.date) -> str:
        day = value.date() if isinstance(value, dt.datetime) else value
        return format_date(day, format="long", locale=self.locale)


# --- drawing ---------------------------------------------------------------------------------

_FONT_FILES = {
    ("body", ""): "DejaVuSans.ttf",
    ("body", "B"): "DejaVuSans-Bold.ttf",
    ("serif", "B"): "DejaVuSerif-Bold.ttf",
}
MARGIN = 16.0
PAGE_WIDTH = 210.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
BAND_HEIGHT = 38.0


def _is_serif(family: str) -> bool:
    first = family.split(",")[0].strip().strip("'\"").lower()
    return first in {
        "georgia",
        "times",
        "times new roman",
        "garamond",
        "playfair display",
        "merriweather",
    } or (first == "serif")


class ThemedPDF(FPDF):
    """An A4 page in a theme's colours with the shipped fonts, a footer line and page numbers:
    what invoices and other money documents (affiliate statements) are drawn on."""

    def __init__(
        self, *, colours: Palette, footer_text: str, page_label: str, body_size: float, heading: str
    ) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.heading = heading  # the headings' font family: "serif" or "body"
        self.colours = colours
        self.footer_text = footer_text
        self.page_label = page_label
        self.body_size = body_size
        for (family, style), filename in _FONT_FILES.items():
            if family in ("body", heading):  # fpdf2 embeds every font added, used or not
                self.add_font(family, style, str(FONTS_DIR / filename))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=20)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_draw_color(*self.colours.border)
        self.set_line_width(0.2)
        self.line(MARGIN, self.get_y() - 1.5, PAGE_WIDTH - MARGIN, self.get_y() - 1.5)
        self.set_font("body", "", 7)
        self.set_text_color(*self.colours.muted)
        self.cell(CONTENT_WIDTH * 0.7, 5, self.footer_text)
        label = self.page_label.format(page=self.page_no(), pages="{nb}")
        self.cell(CONTENT_WIDTH * 0.3, 5, label, align="R")

    # small building blocks

    def label(self, text: str, width: float) -> None:
        self.set_font("body", "B", 7)
        self.set_text_color(*self.colours.muted)
        self.cell(width, 4.5, text.upper(), new_x=XPos.LEFT, new_y=YPos.NEXT)

    def fitted_cell(self, text: str, width: float, height: float, *, bold: bool = False) -> None:
        """One line of body text, made smaller (down to 7 pt) rather than overflow ``width``."""
        size = self.body_size
        self.set_font("body", "B" if bold else "", size)
        while self.get_string_width(text) > width and size > 7:
            size -= 0.25
            self.set_font_size(size)
        self.set_text_color(*self.colours.ink)
        self.cell(width, height, text)

    def text_block(self, lines: Sequence[str], width: float, *, bold_first: bool = False) -> None:
        for index, line in enumerate(lines):
            bold = bold_first and index == 0
            self.set_font("body", "B" if bold else "", self.body_size + (1 if bold else 0))
            self.set_text_color(*self.colours.ink)
            self.multi_cell(
                width, 4.8 if not bold else 5.5, line, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT
            )


def _party_lines(*parts: Sequence[str] | str) -> list[str]:
    lines: list[str] = []
    for part in parts:
        values = [part] if isinstance(part, str) else list(part)
        lines.extend(printable(value) for value in values if value and value.strip())
    return lines


def themed_pdf(
    theme: dict[str, Any], *, language: str, title: str, author: str, footer_text: str, created: dt.date
) -> ThemedPDF:
    """A ``ThemedPDF`` with its first page added, its metadata set and ``created`` as its
    creation date (so the same document renders to the same bytes)."""
    heading_family = "serif" if _is_serif(theme["typography"]["headingFontFamily"]) else "body"
    base_px = float(str(theme["typography"]["baseSize"]).rstrip("pxrem") or 16)
    if str(theme["typography"]["baseSize"]).endswith("rem"):
        base_px *= 16
    body_size = max(8.0, min(10.5, base_px * 0.58))
    pdf = ThemedPDF(
        colours=palette(theme),
        footer_text=printable(footer_text),
        page_label=LABELS[language]["page"],
        body_size=body_size,
        heading=heading_family,
    )
    pdf.set_title(printable(title))
    pdf.set_author(printable(author))
    pdf.set_creator("affiliate-platform")
    pdf.set_lang(language)
    creation = created if isinstance(created, dt.datetime) else dt.datetime.combine(created, dt.time())
    pdf.set_creation_date(creation if creation.tzinfo else creation.replace(tzinfo=dt.UTC))
    pdf.add_page()
    return pdf


def render_invoice_pdf(document: InvoiceDocument, theme: dict[str, Any]) -> bytes:
    """The invoice as PDF bytes (A4), in ``theme``'s colours (tokens of ``themes.get_theme``)."""
    fmt = Formatter(document.language, document.currency)
    labels = fmt.labels
    pdf = themed_pdf(
        theme,
        language=document.language,
        title=f"{labels['invoice']} {document.number}",
        author=document.seller.name,
        footer_text=f"{document.seller.name} · {labels['invoice']} {document.number}",
        created=document.issued_at,
    )
    heading_family = pdf.heading
    _header_band(pdf, document, labels, heading_family)
    _parties(pdf, document, labels)
    _meta(pdf, document, fmt)
    _lines_table(pdf, document, fmt)
    _totals(pdf, document, fmt, heading_family)
    _closing(pdf, document, labels)
    return bytes(pdf.output())


def _header_band(pdf: ThemedPDF, document: InvoiceDocument, labels: dict[str, str], heading: str) -> None:
    vat_id = document.seller.vat_id
    header_band(
        pdf,
        name=document.seller.name,
        subtitle=f"{labels['vat_id']} {vat_id}" if vat_id else "",
        title=labels["invoice"],
        number=document.number,
        logo=document.logo,
    )


def header_band(
    pdf: ThemedPDF, *, name: str, subtitle: str, title: str, number: str, logo: bytes | None = None
) -> None:
    """The band across the top in the theme's primary colour: logo chip, ``name`` and a
    ``subtitle`` line on the left, the document's ``title`` and ``number`` on the right."""
    colours = pdf.colours
    heading = pdf.heading
    pdf.set_fill_color(*colours.primary)
    pdf.rect(0, 0, PAGE_WIDTH, BAND_HEIGHT, style="F")
    text_x = MARGIN
    if logo:
        chip = 22.0
        pdf.set_fill_color(*WHITE)
        pdf.rect(MARGIN, (BAND_HEIGHT - chip) / 2, chip, chip, style="F", round_corners=True, corner_radius=2)
        pdf.image(
            BytesIO(logo),
            x=MARGIN + 2,
            y=(BAND_HEIGHT - chip) / 2 + 2,
            w=chip - 4,
            h=chip - 4,
            keep_aspect_ratio=True,
        )
        text_x = MARGIN + chip + 5
    pdf.set_text_color(*colours.on_primary)
    pdf.set_xy(text_x, 12)
    pdf.set_font(heading, "B", 16)
    pdf.cell(100, 8, printable(name))
    if subtitle:
        pdf.set_xy(text_x, 21)
        pdf.set_font("body", "", 8)
        pdf.cell(100, 5, printable(subtitle))
    pdf.set_xy(PAGE_WIDTH - MARGIN - 80, 10)
    pdf.set_font(heading, "B", 22)
    pdf.cell(80, 10, printable(title).upper(), align="R")
    pdf.set_xy(PAGE_WIDTH - MARGIN - 80, 21)
    pdf.set_font("body", "B", 10)
    pdf.cell(80, 6, printable(number), align="R")
    pdf.set_y(BAND_HEIGHT + 9)


def _parties(pdf: ThemedPDF, document: InvoiceDocument, labels: dict[str, str]) -> None:
    column = CONTENT_WIDTH / 2 - 4
    top = pdf.get_y()
    seller = document.seller
    buyer = document.buyer
    pdf.set_xy(MARGIN, top)
    pdf.label(labels["from"], column)
    pdf.text_block(_party_lines(seller.name, seller.address_lines), column, bold_first=True)
    left_bottom = pdf.get_y()
    pdf.set_xy(MARGIN + column + 8, top)
    pdf.label(labels["bill_to"], column)
    pdf.text_block(_party_lines(buyer.name, buyer.address_lines, buyer.email), column, bold_first=True)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 6)


def _meta(pdf: ThemedPDF, document: InvoiceDocument, fmt: Formatter) -> None:
    labels = fmt.labels
    status = (
        labels["paid_on"].format(date=fmt.date(document.paid_at)) if document.paid_at else labels["unpaid"]
    )
    cells = [
        (labels["number"], document.number),
        (labels["issued"], fmt.date(document.issued_at)),
        (labels["method"], document.payment_method),
        (labels["status"], status),
    ]
    colours = pdf.colours
    top = pdf.get_y()
    height = 15.0 + (6.5 if document.transaction_id else 0)
    pdf.set_fill_color(*colours.tint)
    pdf.set_draw_color(*colours.border)
    pdf.set_line_width(0.2)
    pdf.rect(MARGIN, top, CONTENT_WIDTH, height, style="DF", round_corners=True, corner_radius=1.5)
    pdf.set_fill_color(*colours.primary)
    pdf.rect(MARGIN, top, 1.6, height, style="F")
    x = MARGIN + 5
    for (label, value), share in zip(cells, (0.25, 0.22, 0.26, 0.27), strict=True):
        width = (CONTENT_WIDTH - 8) * share
        pdf.set_xy(x, top + 3)
        pdf.label(label, width - 2)
        pdf.set_x(x)
        pdf.fitted_cell(printable(value), width - 3, 5.5, bold=True)
        x += width
    if document.transaction_id:
        pdf.set_xy(MARGIN + 5, top + 15)
        pdf.set_font("body", "", pdf.body_size - 1)
        pdf.set_text_color(*colours.muted)
        pdf.cell(
            CONTENT_WIDTH - 10,
            4.5,
            printable(f"{labels['transaction']}{labels['colon']}{document.transaction_id}"),
        )
    pdf.set_y(top + height + 7)


def _lines_table(pdf: ThemedPDF, document: InvoiceDocument, fmt: Formatter) -> None:
    labels = fmt.labels
    colours = pdf.colours
    pdf.set_draw_color(*colours.border)
    pdf.set_line_width(0.2)
    pdf.set_font("body", "", pdf.body_size)
    pdf.set_text_color(*colours.ink)
    headings = FontFace(emphasis="BOLD", color=colours.on_primary, fill_color=colours.primary)
    with pdf.table(
        width=CONTENT_WIDTH,
        col_widths=(45, 8, 19, 9, 19),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"),
        headings_style=headings,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=4.8,
        padding=(2, 2),
    ) as table:
        table.row(
            [labels["description"], labels["quantity"], labels["unit_price"], labels["vat"], labels["amount"]]
        )
        # Every row gets its own fill: rows without one inherit the headings' fill in fpdf2.
        plain, zebra = FontFace(fill_color=WHITE), FontFace(fill_color=colours.tint)
        for index, line in enumerate(document.lines):
            table.row(
                [
                    printable(line.description),
                    fmt.quantity(line.quantity),
                    fmt.money(line.unit_price),
                    fmt.rate(line.vat_rate),
                    fmt.money(line.line_total),
                ],
                style=zebra if index % 2 else plain,
            )
    pdf.ln(4)


def _totals(pdf: ThemedPDF, document: InvoiceDocument, fmt: Formatter, heading: str) -> None:
    labels = fmt.labels
    colours = pdf.colours
    width = 84.0
    x = PAGE_WIDTH - MARGIN - width
    if pdf.will_page_break(34):
        pdf.add_page()
    rows = [
        (labels["subtotal"], fmt.money(document.subtotal)),
        (labels["vat_total"].format(rate=fmt.rate(document.vat_rate)), fmt.money(document.vat_total)),
    ]
    for label, value in rows:
        pdf.set_x(x)
        pdf.set_font("body", "", pdf.body_size)
        pdf.set_text_color(*colours.muted)
        pdf.cell(width * 0.55, 7, label)
        pdf.set_text_color(*colours.ink)
        pdf.cell(width * 0.45 - 3, 7, value, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*colours.border)
    pdf.line(x, pdf.get_y() + 1, PAGE_WIDTH - MARGIN, pdf.get_y() + 1)
    pdf.ln(3)
    pdf.set_x(x)
    pdf.set_fill_color(*colours.primary)
    pdf.set_text_color(*colours.on_primary)
    pdf.set_font(heading, "B", pdf.body_size + 2)
    pdf.cell(width * 0.5, 11, f"  {labels['total']}", fill=True)
    pdf.cell(width * 0.5, 11, f"{fmt.money(document.total)}  ", align="R", fill=True)
    pdf.ln(16)


def _closing(pdf: ThemedPDF, document: InvoiceDocument, labels: dict[str, str]) -> None:
    colours = pdf.colours
    if document.notes.strip():
        pdf.label(labels["notes"], CONTENT_WIDTH)
        pdf.set_font("body", "", pdf.body_size)
        pdf.set_text_color(*colours.ink)
        pdf.multi_cell(CONTENT_WIDTH, 4.8, printable(document.notes.strip()), align="L")
        pdf.ln(5)
    bank = document.seller.bank
    if bank is not None:
        entries = [
            (labels["holder"], bank.account_holder),
            (labels["bank_name"], bank.bank_name),
            (labels["iban"], bank.iban),
            (labels["bic"], bank.bic),
            (labels["rib"], bank.rib),
        ]
        entries = [(label, value) for label, value in entries if value.strip()]
        if entries or bank.instructions.strip():
            if pdf.will_page_break(12 + 5 * len(entries)):
                pdf.add_page()
            pdf.label(labels["bank"], CONTENT_WIDTH)
            for label, value in entries:
                pdf.set_font("body", "", pdf.body_size)
                pdf.set_text_color(*colours.muted)
                pdf.cell(42, 5, label)
                pdf.set_font("body", "B", pdf.body_size)
                pdf.set_text_color(*colours.ink)
                pdf.cell(CONTENT_WIDTH - 42, 5, printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            if bank.instructions.strip():
                pdf.set_font("body", "", pdf.body_size)
                pdf.set_text_color(*colours.ink)
                pdf.multi_cell(CONTENT_WIDTH, 4.8, printable(bank.instructions.strip()), align="L")
            pdf.ln(5)
    mentions = document.seller.legal_mentions.strip()
    if mentions:
        pdf.set_draw_color(*colours.primary)
        pdf.set_line_width(0.6)
        pdf.line(MARGIN, pdf.get_y(), MARGIN + 18, pdf.get_y())
        pdf.ln(2.5)
        pdf.label(labels["legal"], CONTENT_WIDTH)
        pdf.set_font("body", "", 7.5)
        pdf.set_text_color(*colours.muted)
        pdf.multi_cell(CONTENT_WIDTH, 3.8, printable(mentions), align="L")
