"""The statement as PDF (the brand's theme, drawn with ``payments.invoice_pdf``'s page, band,
fonts and colours) and as CSV (the same lines, machine-readable). Both are pure functions of the
figures, so a regenerated statement gives the same bytes."""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from fpdf import FontFace
from fpdf.enums import TableBordersLayout, XPos, YPos

from core.money import quantize
from payments.invoice_pdf import (
    CONTENT_WIDTH,
    LOCALES,
    MARGIN,
    WHITE,
    Formatter,
    header_band,
    printable,
    themed_pdf,
)
from statements.figures import StatementFigures

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "statement": "Statement",
        "for": "Statement for",
        "period": "Period",
        "currency": "Currency",
        "opening": "Opening balance",
        "commission": "Commissions earned",
        "reversal": "Reversals (refunds, chargebacks)",
        "withdrawals_paid": "Withdrawals paid",
        "adjustment": "Adjustment",
        "closing": "Closing balance",
        "description": "Description",
        "program": "Program",
        "amount": "Amount",
        "memo": "Movements within the balance (for information)",
        "withdrawals_requested": "Withdrawals requested",
        "withdrawals_released": "Withdrawals rejected (money available again)",
        "released_from_hold": "Commissions released from the hold period",
        "breakdown": "Closing balance by stage",
        "pending": "Pending (hold period)",
        "available": "Available",
        "reserved": "Reserved for withdrawals",
        "explain": "The balance is what you earned and were not paid yet: pending, available and "
        "reserved money together.",
    },
    "fr": {
        "statement": "Relevé",
        "for": "Relevé de",
        "period": "Période",
        "currency": "Devise",
        "opening": "Solde d\u2019ouverture",
        "commission": "Commissions gagnées",
        "reversal": "Annulations (remboursements, rétrofacturations)",
        "withdrawals_paid": "Retraits payés",
        "adjustment": "Ajustement",
        "closing": "Solde de clôture",
        "description": "Libellé",
        "program": "Programme",
        "amount": "Montant",
        "memo": "Mouvements internes au solde (pour information)",
        "withdrawals_requested": "Retraits demandés",
        "withdrawals_released": "Retraits refusés (montant de nouveau disponible)",
        "released_from_hold": "Commissions sorties de la période de blocage",
        "breakdown": "Solde de clôture par étape",
        "pending": "En attente (période de blocage)",
        "available": "Disponible",
        "reserved": "Réservé pour des retraits",
        "explain": "Le solde est ce que vous avez gagné et qui ne vous a pas encore été payé : "
        "montants en attente, disponibles et réservés.",
    },
}


@dataclass(frozen=True)
class StatementLine:
    kind: str  # opening, commission, reversal, withdrawals_paid, adjustment, closing
    description: str
    program: str
    amount: Decimal


def statement_lines(figures: StatementFigures, language: str) -> list[StatementLine]:
    """Opening, every line, closing: opening + the lines == closing."""
    labels = LABELS[language]
    lines = [StatementLine("opening", labels["opening"], "", figures.opening)]
    lines += [
        StatementLine("commission", labels["commission"], x.program, x.amount) for x in figures.commissions
    ]
    lines += [StatementLine("reversal", labels["reversal"], x.program, x.amount) for x in figures.reversals]
    if figures.withdrawals_paid:
        lines.append(
            StatementLine("withdrawals_paid", labels["withdrawals_paid"], "", figures.withdrawals_paid)
        )
    lines += [
        StatementLine("adjustment", f"{labels['adjustment']} ({kind})", "", amount)
        for kind, amount in figures.adjustments
    ]
    lines.append(StatementLine("closing", labels["closing"], "", figures.closing))
    return lines


def period_label(period: dt.date, language: str) -> str:
    return format_date(period, format="MMMM y", locale=LOCALES[language]).capitalize()


def render_statement_csv(figures: StatementFigures, *, language: str = "en") -> bytes:
    """One row per line (kind, description, program, amount in the currency's minor unit)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["period", "currency", "kind", "description", "program", "amount"])
    for line in statement_lines(figures, language):
        writer.writerow(
            [
                f"{figures.period:%Y-%m}",
                figures.currency,
                line.kind,
                _safe_cell(line.description),
                _safe_cell(line.program),
                str(quantize(line.amount, figures.currency)),
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _safe_cell(text: str) -> str:
    """A program name cannot become a spreadsheet formula (CSV injection)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_statement_pdf(
    figures: StatementFigures,
    theme: dict[str, Any],
    *,
    brand_name: str,
    affiliate_name: str,
    language: str = "en",
    generated_on: dt.date,
    logo: bytes | None = None,
) -> bytes:
    labels = LABELS[language]
    fmt = Formatter(language, figures.currency)
    period = period_label(figures.period, language)
    number = f"{figures.period:%Y-%m} · {figures.currency}"
    pdf = themed_pdf(
        theme,
        language=language,
        title=f"{labels['statement']} {number}",
        author=brand_name,
        footer_text=f"{brand_name} · {labels['statement']} {number}",
        created=generated_on,
    )
    header_band(
        pdf,
        name=brand_name,
        subtitle=f"{labels['for']} {affiliate_name}",
        title=labels["statement"],
        number=number,
        logo=logo,
    )
    colours = pdf.colours
    # Summary: period, opening, closing.
    top = pdf.get_y()
    height = 15.0
    pdf.set_fill_color(*colours.tint)
    pdf.set_draw_color(*colours.border)
    pdf.set_line_width(0.2)
    pdf.rect(MARGIN, top, CONTENT_WIDTH, height, style="DF", round_corners=True, corner_radius=1.5)
    pdf.set_fill_color(*colours.primary)
    pdf.rect(MARGIN, top, 1.6, height, style="F")
    x = MARGIN + 5
    for label, value in (
        (labels["period"], period),
        (labels["opening"], fmt.money(figures.opening)),
        (labels["closing"], fmt.money(figures.closing)),
    ):
        width = (CONTENT_WIDTH - 8) / 3
        pdf.set_xy(x, top + 3)
        pdf.label(label, width - 2)
        pdf.set_x(x)
        pdf.fitted_cell(printable(value), width - 3, 5.5, bold=True)
        x += width
    pdf.set_y(top + height + 7)
    # The lines.
    pdf.set_font("body", "", pdf.body_size)
    pdf.set_text_color(*colours.ink)
    headings = FontFace(emphasis="BOLD", color=colours.on_primary, fill_color=colours.primary)
    strong = FontFace(emphasis="BOLD", fill_color=colours.tint)
    plain = FontFace(fill_color=WHITE)
    with pdf.table(
        width=CONTENT_WIDTH,
        col_widths=(50, 30, 20),
        text_align=("LEFT", "LEFT", "RIGHT"),
        headings_style=headings,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=4.8,
        padding=(2, 2),
    ) as table:
        table.row([labels["description"], labels["program"], labels["amount"]])
        for line in statement_lines(figures, language):
            table.row(
                [printable(line.description), printable(line.program), fmt.money(line.amount)],
                style=strong if line.kind in ("opening", "closing") else plain,
            )
    pdf.ln(6)
    pdf.set_font("body", "", pdf.body_size - 1)
    pdf.set_text_color(*colours.muted)
    pdf.multi_cell(CONTENT_WIDTH, 4.5, printable(labels["explain"]), align="L")
    pdf.ln(4)
    sections: tuple[tuple[str, list[tuple[str, Decimal]]], ...] = (
        (labels["memo"], [(labels[key], value) for key, value in figures.memo.items() if key in labels]),
        (labels["breakdown"], [(labels[key], value) for key, value in figures.closing_breakdown.items()]),
    )
    for title, rows in sections:
        if pdf.will_page_break(10 + 5 * len(rows)):
            pdf.add_page()
        pdf.label(title, CONTENT_WIDTH)
        for row_label, amount in rows:
            pdf.set_font("body", "", pdf.body_size)
            pdf.set_text_color(*colours.muted)
            pdf.cell(CONTENT_WIDTH - 40, 5, printable(row_label))
            pdf.set_text_color(*colours.ink)
            pdf.cell(40, 5, fmt.money(amount), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
    return bytes(pdf.output())
