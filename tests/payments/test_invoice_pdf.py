"""The invoice PDF: read back with a small PDF reader of our own (no PDF library, no poppler),
so that the text and colours are checked on any machine.

The reader inflates the streams, maps the embedded fonts' two-byte codes back to Unicode
through their ``ToUnicode`` CMaps, and collects the text of the page content (one line per
text object) and its fill colours (``rg``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zlib
from decimal import Decimal
from io import BytesIO

import pytest
from PIL import Image

from payments.invoice_pdf import (
    BankDetails,
    InvoiceBuyer,
    InvoiceDocument,
    InvoiceLine,
    InvoiceSeller,
    palette,
    printable,
    render_invoice_pdf,
)
from themes import available_themes, get_theme

# fpdf2 writes "stream\n<data>\nendstream": an optional \r before "endstream" would eat the last
# byte of compressed data that happens to end in 0x0D (a truncated stream, 1 PDF in 256).
OBJECT = re.compile(rb"(\d+) 0 obj\s*<<(.*?)>>\s*(?:stream\r?\n(.*?)\nendstream)?\s*endobj", re.S)
# In page content: a font selection, a literal string, a fill colour, or the end of a text object.
TOKEN = re.compile(rb"/(F\d+) [\d.]+ Tf|\(|([\d.]+) ([\d.]+) ([\d.]+) rg|\bET\b")
LEGAL = "SAS au capital de 10 000 €, RCS Paris 123 456 789. Pénalités de retard : trois fois le taux légal."


@dataclasses.dataclass
class ReadPdf:
    text: str
    fills: list[tuple[float, float, float]]
    pages: int
    raw: bytes


def _literal(data: bytes, start: int) -> tuple[bytes, int]:
    """A PDF literal string starting after its ``(``; returns its bytes and the end offset."""
    out, depth, i = bytearray(), 1, start
    escapes = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while True:
        char = data[i]
        if char == 0x5C:  # backslash
            nxt = data[i + 1]
            if 0x30 <= nxt <= 0x37:
                digits = re.match(rb"[0-7]{1,3}", data[i + 1 : i + 4]).group(0)
                out.append(int(digits, 8) & 0xFF)
                i += 1 + len(digits)
                continue
            out.append(escapes.get(nxt, nxt))
            i += 2
            continue
        if char == 0x28:
            depth += 1
        elif char == 0x29:
            depth -= 1
            if depth == 0:
                return bytes(out), i + 1
        out.append(char)
        i += 1


def _cmap(stream: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", stream, re.S):
        for code, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(code, 16)] = bytes.fromhex(uni.decode()).decode("utf-16-be")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", stream, re.S):
        for low, high, uni in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            first = int(uni, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(first + offset)
    return mapping


def read_pdf(data: bytes) -> ReadPdf:
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    objects: dict[int, tuple[bytes, bytes]] = {}
    for number, header, stream in OBJECT.findall(data):
        if stream and b"/FlateDecode" in header:
            stream = zlib.decompress(stream)
        objects[int(number)] = (header, stream or b"")
    # font resource name (/F1) -> object -> its ToUnicode CMap
    names = dict(re.findall(rb"/(F\d+) (\d+) 0 R", b"".join(header for header, _ in objects.values())))
    cmaps: dict[bytes, dict[int, str]] = {}
    for name, number in names.items():
        header = objects[int(number)][0]
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", header)
        if to_unicode:
            cmaps[name] = _cmap(objects[int(to_unicode.group(1))][1])
    pages = [header for header, _ in objects.values() if re.search(rb"/Type /Page\b", header)]
    contents = [int(n) for header in pages for n in re.findall(rb"/Contents (\d+) 0 R", header)]
    pieces: list[str] = []
    fills: list[tuple[float, float, float]] = []
    for number in contents:
        stream = objects[number][1]
        font, position = b"", 0
        while match := TOKEN.search(stream, position):
            position = match.end()
            if match.group(1):
                font = match.group(1)
            elif match.group(2):
                fills.append((float(match.group(2)), float(match.group(3)), float(match.group(4))))
            elif match.group(0) == b"ET":
                if pieces and not pieces[-1].endswith("\n"):
                    pieces.append("\n")
            else:
                raw, position = _literal(stream, match.end())
                codes = [int.from_bytes(raw[i : i + 2], "big") for i in range(0, len(raw) - 1, 2)]
                pieces.append("".join(cmaps[font].get(code, "\ufffd") for code in codes))
    return ReadPdf(text="".join(pieces), fills=fills, pages=len(pages), raw=data)


def _logo() -> bytes:
    image = Image.new("RGB", (64, 64), (210, 60, 40))
    buffer = BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def make_document(**changes) -> InvoiceDocument:
    document = InvoiceDocument(
        number="NOVA-20261122-0007",
        issued_at=dt.date(2026, 11, 22),
        currency="EUR",
        seller=InvoiceSeller(
            name="Nova Partners SAS",
            address_lines=("12 rue de la Paix", "75002 Paris"),
            vat_id="FR40123456789",
            legal_mentions=LEGAL,
            bank=BankDetails(account_holder="Nova Partners SAS", iban="FR76 3000 4000 0312 3456 7890 143"),
        ),
        buyer=InvoiceBuyer(
            name="Zoë Łukasiewicz-Øster Дмитрий",
            email="zoe@example.com",
            address_lines=("Karaköy Cd. 5", "34425 İstanbul"),
        ),
        lines=(
            InvoiceLine(
                "Pro plan — November 2026", Decimal(1), Decimal("1049.00"), Decimal(20), Decimal("1049.00")
            ),
            InvoiceLine("Extra seats", Decimal(3), Decimal("5.50"), Decimal(20), Decimal("16.50")),
        ),
        subtotal=Decimal("1065.50"),
        vat_total=Decimal("213.10"),
        total=Decimal("1278.60"),
        vat_rate=Decimal(20),
        payment_method="Card",
        transaction_id="pi_3QxYz2eZvKYlo2C0",
        paid_at=dt.datetime(2026, 11, 22, 10, 4, tzinfo=dt.UTC),
        notes="Thank you!",
        language="en",
        logo=_logo(),
    )
    return dataclasses.replace(document, **changes)


def _colour(hex_value: str) -> tuple[float, float, float]:
    value = hex_value.lstrip("#")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))


def _has_fill(read: ReadPdf, hex_value: str) -> bool:
    expected = _colour(hex_value)
    return any(all(abs(a - b) < 0.002 for a, b in zip(fill, expected, strict=True)) for fill in read.fills)


@pytest.mark.parametrize("theme_name", ["default", "vivid", "aurum"])
def test_each_theme_renders_the_number_totals_names_and_legal_mentions(theme_name):
    data = render_invoice_pdf(make_document(), get_theme(theme_name))
    read = read_pdf(data)

    assert read.pages == 1
    for expected in (
        "NOVA-20261122-0007",
        "INVOICE",
        "Nova Partners SAS",
        "Zoë Łukasiewicz-Øster Дмитрий",
        "34425 İstanbul",
        "zoe@example.com",
        "November 22, 2026",
        "Paid on November 22, 2026",
        "pi_3QxYz2eZvKYlo2C0",
        "€1,049.00",
        "€16.50",
        "Subtotal (excl. VAT)",
        "€1,065.50",
        "VAT 20%",
        "€213.10",
        "Total (incl. VAT)",
        "€1,278.60",
        "FR76 3000 4000 0312 3456 7890 143",
        "Thank you!",
        "Page 1 of 1",
    ):
        assert expected in read.text, expected
    assert LEGAL in read.text.replace("\n", " ")
    assert _has_fill(read, get_theme(theme_name)["colors"]["primary"])


def test_two_themes_paint_with_different_colours():
    default = read_pdf(render_invoice_pdf(make_document(), get_theme("default")))
    vivid = read_pdf(render_invoice_pdf(make_document(), get_theme("vivid")))

    assert set(default.fills) != set(vivid.fills)
    assert _has_fill(default, "#2563eb")
    assert not _has_fill(default, "#c2185b")
    assert _has_fill(vivid, "#c2185b")
    assert not _has_fill(vivid, "#2563eb")


def test_a_dark_theme_keeps_its_gold_accent_but_prints_dark_text():
    aurum = get_theme("aurum")
    colours = palette(aurum)
    read = read_pdf(render_invoice_pdf(make_document(), aurum))

    assert colours.ink == (11, 11, 11)  # the theme's own dark background, not its light text
    assert _has_fill(read, "#0b0b0b")
    assert not _has_fill(read, aurum["colors"]["text"])  # #f5f0e1 would vanish on white paper
    assert _has_fill(read, aurum["colors"]["primary"])
    for name in available_themes():
        theme_colours = palette(get_theme(name))
        assert theme_colours.ink != (255, 255, 255)


def test_french_labels_and_amounts():
    read = read_pdf(render_invoice_pdf(make_document(language="fr"), get_theme("vivid")))

    for expected in (
        "FACTURE",
        "Facturé à",
        "Désignation",
        "Prix unitaire HT",
        "Total HT",
        "Total TTC",
        "Payée le 22 novembre 2026",
        "Mentions légales",
        "Coordonnées bancaires",
        "1\u202f278,60\u00a0€",
        "Page 1 sur 1",
    ):
        assert expected in read.text or expected.upper() in read.text, expected
    assert "Subtotal" not in read.text


def test_a_long_invoice_runs_over_pages_with_every_line():
    lines = tuple(
        InvoiceLine(f"Commission n°{index}", Decimal(1), Decimal("10.00"), Decimal(20), Decimal("10.00"))
        for index in range(60)
    )
    document = make_document(
        lines=lines, subtotal=Decimal("600.00"), vat_total=Decimal("120.00"), total=Decimal("720.00")
    )

    read = read_pdf(render_invoice_pdf(document, get_theme("default")))

    assert read.pages >= 2
    assert all(f"Commission n°{index}" in read.text for index in range(60))
    assert f"Page {read.pages} of {read.pages}" in read.text
    assert "€720.00" in read.text


def test_the_same_document_renders_to_the_same_bytes():
    first = render_invoice_pdf(make_document(), get_theme("default"))
    second = render_invoice_pdf(make_document(), get_theme("default"))

    assert first == second


def test_without_logo_bank_notes_or_payment():
    document = make_document(
        logo=None,
        notes="",
        paid_at=None,
        transaction_id="",
        seller=InvoiceSeller(name="Solo", legal_mentions=""),
        buyer=InvoiceBuyer(name="Ana"),
    )

    read = read_pdf(render_invoice_pdf(document, get_theme("default")))

    assert "Awaiting payment" in read.text
    assert "BANK DETAILS" not in read.text
    assert "/Subtype /Image" not in read.raw.decode("latin-1")


def test_what_the_fonts_cannot_draw_is_replaced_not_dropped():
    assert printable("Zoë Øster Ğül Дмитрий Ελένη") == "Zoë Øster Ğül Дмитрий Ελένη"
    assert printable("ﬁne\u00a0print") == "fine\u00a0print"
    assert printable("王小明 <a@b.c>") == "??? <a@b.c>"
    assert printable("tab\there\u200b") == "tab here"

    read = read_pdf(
        render_invoice_pdf(make_document(buyer=InvoiceBuyer(name="王小明")), get_theme("default"))
    )
    assert "???" in read.text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"subtotal": Decimal("1065.49")}, "do not add up"),
        ({"total": Decimal("1278.61")}, "is not the total"),
        ({"language": "de"}, "language"),
        ({"lines": ()}, "at least one line"),
    ],
)
def test_an_inconsistent_document_is_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        make_document(**changes)
