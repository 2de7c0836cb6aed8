"""Demo catalog for `make run`: categories, the demo merchant's profile and eight deals in the
brand's currency and language (a local one with coordinates, the deal of the day, featured
ones, one ending soon), images drawn with Pillow and stored like uploads, and the demo
affiliate's requests (one approved with a product link, one pending). Idempotent.

It runs after the billing demo has put the demo merchant on the Starter plan, whose quota leaves
room for more products than the demo lists.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from accounts.models import User
from affiliation.models import Affiliate, AffiliateStatus
from marketplace.models import AffiliationRequest, Category, Order, Product, ProductStatus
from marketplace.services import (
    affiliation_request_create,
    affiliation_request_decide,
    category_create,
    merchant_profile_update,
    product_create,
    product_image_upload,
    product_link_create,
    product_promotion_set,
    product_status_set,
)
from marketplace.services.checkout import order_checkout
from marketplace.services.images import product_image_process
from payments.models import ContactChannel, PaymentProvider
from payments.services.payments import bank_transfer_available, payment_submit_transaction

# Categories by slug: (English name, French name, parent slug).
CATEGORIES: list[tuple[str, str, str, str | None]] = [
    ("restaurants", "Restaurants", "Restaurants", None),
    ("brunch", "Brunch", "Brunch", "restaurants"),
    ("wellness", "Wellness & spa", "Bien-être & spa", None),
    ("massage", "Massage", "Massage", "wellness"),
    ("hammam", "Hammam", "Hammam", "wellness"),
    ("activities", "Activities", "Activités", None),
    ("travel", "Travel", "Voyages", None),
    ("shopping", "Shopping", "Shopping", None),
]


@dataclass(frozen=True)
class DemoDeal:
    title: str
    summary: str
    category: str
    original_price: str
    price: str
    color: tuple[int, int, int]
    highlights: list[str] = field(default_factory=list)
    address: str = ""
    latitude: str | None = None
    longitude: str | None = None
    expires_in_hours: int | None = None
    stock: int | None = None
    featured: bool = False
    deal_of_the_day: bool = False
    auto_approve: bool = False


def _deals(language: str, currency: str) -> list[DemoDeal]:
    """Prices for EUR brands; MAD brands get about ten times the figure, rounded to the dirham."""
    scale = Decimal(10) if currency == "MAD" else Decimal(1)

    def price(value: str) -> str:
        amount = Decimal(value) * scale
        return str(amount.quantize(Decimal(1)) if scale != 1 else amount)

    french = language == "fr"
    return [
        DemoDeal(
            title="Hammam et gommage traditionnel pour deux"
            if french
            else "Traditional hammam and scrub for two",
            summary="Vapeur, savon noir et thé à la menthe" if french else "Steam, black soap and mint tea",
            category="hammam",
            original_price=price("90.00"),
            price=price("45.00"),
            color=(190, 120, 70),
            highlights=["90 minutes", "Thé offert" if french else "Tea included"],
            address="27 rue Tata, Casablanca" if french else "12 rue des Thermes, 75005 Paris",
            latitude="33.594000" if french else "48.849500",
            longitude="-7.618000" if french else "2.343800",
            deal_of_the_day=True,
            featured=True,
            stock=40,
        ),
        DemoDeal(
            title="Massage relaxant d'une heure" if french else "One-hour relaxing massage",
            summary="Huiles d'argan, cabine privée" if french else "Argan oils, private room",
            category="massage",
            original_price=price("80.00"),
            price=price("49.00"),
            color=(120, 90, 160),
            expires_in_hours=30,
            featured=True,
        ),
        DemoDeal(
            title="Brunch du week-end avec jus frais" if french else "Weekend brunch with fresh juice",
            summary="Buffet salé et sucré" if french else "Sweet and savoury buffet",
            category="brunch",
            original_price=price("35.00"),
            price=price("24.50"),
            color=(230, 170, 60),
        ),
        DemoDeal(
            title="Dîner gastronomique, menu cinq plats" if french else "Five-course tasting dinner",
            summary="Accord mets et vins en option" if french else "Optional wine pairing",
            category="restaurants",
            original_price=price("120.00"),
            price=price("79.00"),
            color=(150, 40, 60),
            stock=12,
        ),
        DemoDeal(
            title="Balade en quad dans la palmeraie" if french else "Sunset kayak tour",
            summary="Deux heures avec guide" if french else "Two hours with a guide",
            category="activities",
            original_price=price("60.00"),
            price=price("39.00"),
            color=(40, 130, 170),
            auto_approve=True,
        ),
        DemoDeal(
            title="Week-end à Chefchaouen, demi-pension"
            if french
            else "City break, two nights with breakfast",
            summary="Pour deux personnes" if french else "For two",
            category="travel",
            original_price=price("320.00"),
            price=price("229.00"),
            color=(60, 110, 190),
            expires_in_hours=24 * 14,
        ),
        DemoDeal(
            title="Bon d'achat pour l'artisanat local" if french else "Design store voucher",
            summary="Valable sur toute la boutique" if french else "Valid on the whole store",
            category="shopping",
            original_price=price("100.00"),
            price=price("70.00"),
            color=(70, 150, 100),
        ),
        DemoDeal(
            title="Cours de cuisine en petit groupe" if french else "Small-group cooking class",
            summary="Tajine, pastilla et pâtisseries" if french else "Pasta from scratch",
            category="activities",
            original_price=price("75.00"),
            price=price("55.00"),
            color=(200, 80, 40),
        ),
    ]


IMAGE_SIZE = (1200, 675)
# The deal cards and the gallery crop images to 3:2 (object-fit: cover), the admin tables' row
# thumbnails to 7:5: of a 1200 x 675 image only about the middle 945 px stay visible. The title is
# drawn inside this box (left, top, right, bottom), centred.
SAFE_AREA = (150, 70, 1050, 605)
# The DejaVu subset shipped for invoices (Latin with accents, Greek, Cyrillic): Pillow's default
# font has no "à" or "é". No emoji: this font has none.
DEMO_FONT_PATH = Path(__file__).resolve().parent.parent / "payments" / "fonts" / "DejaVuSans-Bold.ttf"
TITLE_LINE_SPACING = 1.25
TITLE_MAX_LINES = 3


def _wrap(draw: ImageDraw.ImageDraw, title: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in title.split():
        candidate = f"{line} {word}".strip()
        if line and draw.textlength(candidate, font=font) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    return [*lines, line] if line else lines


def _title_layout(draw: ImageDraw.ImageDraw, title: str) -> tuple[ImageFont.FreeTypeFont, list[str]]:
    """The largest font size (64 down to 24) at which the title fits the safe area in at most
    three lines, no word cut."""
    left, top, right, bottom = SAFE_AREA
    for size in range(64, 22, -4):
        font = ImageFont.truetype(str(DEMO_FONT_PATH), size=size)
        lines = _wrap(draw, title, font, right - left)
        widest = max((draw.textlength(line, font=font) for line in lines), default=0)
        height = len(lines) * size * TITLE_LINE_SPACING
        if len(lines) <= TITLE_MAX_LINES and widest <= right - left and height <= bottom - top:
            return font, lines
    return font, lines[:TITLE_MAX_LINES]


def demo_image(title: str, color: tuple[int, int, int], variant: int) -> bytes:
    """A 1200 x 675 gradient with the deal's title centred in the safe area: demo images made
    here, never downloaded."""
    width, height = IMAGE_SIZE
    image = Image.new("RGB", (width, height), color)
    draw = ImageDraw.Draw(image)
    shade = 0.55 if variant else 0.35
    for row_y in range(height):
        mix = row_y / height * shade
        row = tuple(int(channel * (1 - mix)) for channel in color)
        draw.line([(0, row_y), (width, row_y)], fill=row)
    font, lines = _title_layout(draw, title)
    left, top, right, bottom = SAFE_AREA
    line_height = font.size * TITLE_LINE_SPACING
    y = top + (bottom - top - line_height * len(lines)) / 2 + line_height / 2
    for text in lines:
        draw.text(((left + right) / 2, y), text, fill=(255, 255, 255), font=font, anchor="mm")
        y += line_height
    output = io.BytesIO()
    image.save(output, "JPEG", quality=85)
    return output.getvalue()


def _categories(language: str) -> dict[str, Category]:
    result: dict[str, Category] = {}
    for slug, english, french, parent in CATEGORIES:
        category = Category.objects.filter(slug=slug).first() or category_create(
            actor=None,
            name=french if language == "fr" else english,
            slug=slug,
            parent=result.get(parent) if parent else None,
            position=len(result),
        )
        result[slug] = category
    return result


def demo_marketplace_ensure(*, merchant: User, affiliate: User, currency: str, language: str) -> None:
    """Called by provision_demo inside each demo brand, after its partner program exists."""
    if Product.objects.filter(merchant=merchant).exists():
        return
    categories = _categories(language)
    merchant_profile_update(
        actor=None,
        merchant=merchant,
        display_name="Maison Aurum" if language == "fr" else "Nova Experiences",
        description="Des expériences choisies avec soin."
        if language == "fr"
        else "Hand-picked local experiences.",
    )
    now = timezone.now()
    products: list[tuple[Product, DemoDeal]] = []
    for deal in _deals(language, currency):
        values: dict[str, Any] = {
            "title": deal.title,
            "summary": deal.summary,
            "description_html": f"<p>{deal.summary}.</p><ul>"
            + "".join(f"<li>{item}</li>" for item in deal.highlights)
            + "</ul>",
            "original_price": deal.original_price,
            "price": deal.price,
            "highlights": deal.highlights,
            "included": [deal.summary],
            "how_it_works": ["Buy the voucher", "Book by phone", "Show the code on site"]
            if language != "fr"
            else ["Achetez le bon", "Réservez par téléphone", "Présentez le code sur place"],
            "faq": [
                {"question": "Can I offer it?", "answer": "Yes, the voucher is transferable."}
                if language != "fr"
                else {"question": "Puis-je l'offrir ?", "answer": "Oui, le bon est cessible."}
            ],
            "conditions": "Valid 3 months after purchase."
            if language != "fr"
            else "Valable 3 mois après l'achat.",
            "category_ids": [categories[deal.category].pk],
            "location_address": deal.address,
            "latitude": deal.latitude,
            "longitude": deal.longitude,
            "stock": deal.stock,
            "max_per_purchase": 4,
            "affiliation_auto_approve": deal.auto_approve,
        }
        if deal.expires_in_hours:
            values["expires_at"] = now + dt.timedelta(hours=deal.expires_in_hours)
        product = product_create(actor=None, merchant=merchant, **values)
        for variant in range(2):
            image = product_image_upload(
                actor=None,
                product=product,
                file=ContentFile(demo_image(deal.title, deal.color, variant), name="demo.jpg"),
                alt_text=deal.title,
            )
            product_image_process(image_id=image.pk)  # here, not in a worker: the demo shows at once
        product = product_status_set(actor=None, product=product, status="active")
        if deal.featured or deal.deal_of_the_day:
            product = product_promotion_set(
                actor=None, product=product, featured=deal.featured, deal_of_the_day=deal.deal_of_the_day
            )
        products.append((product, deal))
    _demo_requests(affiliate, [product for product, _ in products], french=language == "fr")


def _demo_requests(user: User, products: list[Product], *, french: bool) -> None:
    """The demo affiliate promotes the auto-approving deal (with a link) and waits on another."""
    member = Affiliate.objects.filter(user=user, status=AffiliateStatus.APPROVED).first()
    if member is None:
        return
    for product in products:
        if product.program_id != member.program_id:
            continue
        if product.affiliation_auto_approve:
            affiliation_request_create(user=user, product=product, message="")
            product_link_create(user=user, product=product, utm={"utm_source": "demo"})
    pending, approved = products[0], products[1]
    for product, message in (
        (pending, "J'écris sur les spas de ma ville." if french else "I write about spas in my city."),
        (approved, "Mes lecteurs adorent les massages." if french else "My readers love massages."),
    ):
        if not AffiliationRequest.objects.filter(product=product, affiliate=member).exists():
            affiliation_request_create(user=user, product=product, message=message)
    request = AffiliationRequest.objects.get(product=approved, affiliate=member)
    affiliation_request_decide(
        actor=approved.merchant,
        request=request,
        approve=True,
        note="Bienvenue !" if french else "Welcome aboard!",
    )


def demo_customer_order_ensure(*, customer: User) -> Order | None:
    """One order paid by bank transfer that the customer reported: the brand admin's payment
    queue has a transfer to verify, the customer an order to follow. Left alone once the customer
    has ordered."""
    if Order.objects.filter(customer=customer).exists():
        return None
    product = Product.objects.filter(status=ProductStatus.ACTIVE).order_by("pk").first()
    if product is None or not bank_transfer_available():
        return None
    result = order_checkout(
        customer=customer,
        items=[(product, 1)],
        provider=PaymentProvider.BANK_TRANSFER,
        payer_name=customer.full_name,
        payer_email=customer.email,
        contact_channel=ContactChannel.EMAIL,
    )
    payment_submit_transaction(payment=result.payment, actor=customer, transaction_id="DEMO-TRANSFER-0002")
    return result.order
