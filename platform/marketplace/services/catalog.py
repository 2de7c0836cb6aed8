"""Merchants, categories and products as merchants and brand admins edit them.

Every field is checked before anything is written, and every problem comes back at once as a
field error with a code (``CatalogErrorCode``). Prices are Decimals in the currency of the
product's program (the brand's currency without one), at that currency's precision.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.contrib.postgres.search import SearchVector
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Role, User
from affiliation.models import CommissionKind, OfferRule, Program
from billing.services.plans import BillingErrorCode, merchant_plan
from core.audit import audit_log
from core.errors import field_error
from core.money import minor_unit_exponent
from core.tenancy import current_schema, tenant_connection
from core.web_urls import WebUrlError, normalise_web_url
from marketplace.error_codes import CatalogErrorCode
from marketplace.models import Category, MerchantProfile, Product, ProductStatus
from marketplace.sanitize import html_to_text, sanitize_html
from marketplace.selectors import SEARCH_CONFIG, products_used

Code = CatalogErrorCode

MAX_PRICE = Decimal(10) ** 12
MAX_LIST_ITEMS = 20
MAX_LIST_ITEM_LENGTH = 300
MAX_FAQ_ENTRIES = 30
MAX_FAQ_QUESTION_LENGTH = 300
MAX_FAQ_ANSWER_LENGTH = 2000
MAX_DESCRIPTION_LENGTH = 100_000
MAX_CONDITIONS_LENGTH = 5000
MAX_CATEGORIES_PER_PRODUCT = 10
MAX_PER_PURCHASE = 1000
MAX_STOCK = 10_000_000
TEXT_LIMITS = {"title": 160, "summary": 300, "location_address": 300}
# Which moves of status a merchant may make. An archived product comes back as a draft.
TRANSITIONS: dict[str, frozenset[str]] = {
    ProductStatus.DRAFT: frozenset({ProductStatus.ACTIVE, ProductStatus.ARCHIVED}),
    ProductStatus.ACTIVE: frozenset({ProductStatus.PAUSED, ProductStatus.ARCHIVED}),
    ProductStatus.PAUSED: frozenset({ProductStatus.ACTIVE, ProductStatus.ARCHIVED}),
    ProductStatus.ARCHIVED: frozenset({ProductStatus.DRAFT}),
}
EDITABLE_FIELDS = frozenset(
    {
        "title",
        "slug",
        "summary",
        "description_html",
        "program",
        "currency",
        "original_price",
        "price",
        "expires_at",
        "highlights",
        "included",
        "conditions",
        "how_it_works",
        "faq",
        "location_address",
        "latitude",
        "longitude",
        "stock",
        "min_per_purchase",
        "max_per_purchase",
        "category_ids",
        "affiliation_auto_approve",
    }
)
REQUIRED_ON_CREATE = ("title", "original_price", "price")
DEFAULT_BOUNDS = {"min_per_purchase": 1, "max_per_purchase": 10}  # the model's defaults


def brand_currency() -> str:
    return str(tenant_connection().tenant.currency)


# --- merchant profiles -----------------------------------------------------------------------


def _unique_slug(model: Any, base: str, max_length: int) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is free (one query)."""
    base = base[:max_length].strip("-") or "item"
    taken = set(model.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while True:
        suffix = f"-{number}"
        candidate = base[: max_length - len(suffix)].strip("-") + suffix
        if candidate not in taken:
            return candidate
        number += 1


def merchant_profile_ensure(merchant: User) -> MerchantProfile:
    """The merchant's public profile, created from their name on first use."""
    profile = MerchantProfile.objects.filter(user=merchant).first()
    if profile is not None:
        return profile
    display_name = merchant.full_name.strip() or merchant.email.split("@", 1)[0]
    for _ in range(3):
        slug = _unique_slug(MerchantProfile, slugify(display_name) or "merchant", 80)
        try:
            with transaction.atomic():
                return MerchantProfile.objects.create(user=merchant, display_name=display_name, slug=slug)
        except IntegrityError:
            existing = MerchantProfile.objects.filter(user=merchant).first()
            if existing is not None:
                return existing
    raise RuntimeError("could not find a free merchant slug")


def merchant_profile_update(
    *,
    actor: User | None,
    merchant: User,
    display_name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    website: str | None = None,
) -> MerchantProfile:
    if merchant.role != Role.MERCHANT:
        raise field_error("merchantId", "Only merchants have a merchant profile.", Code.NOT_A_MERCHANT)
    errors: dict[str, ValidationError] = {}
    if display_name is not None and not display_name.strip():
        errors["display_name"] = ValidationError("Give a display name.", code=Code.REQUIRED)
    elif display_name is not None and len(display_name.strip()) > 120:
        errors["display_name"] = ValidationError("At most 120 characters.", code=Code.TOO_LONG)
    if slug is not None and (not slugify(slug) or len(slugify(slug)) > 80):
        errors["slug"] = ValidationError("Use letters, digits and dashes (at most 80).", code=Code.INVALID)
    if description is not None and len(description) > 5000:
        errors["description"] = ValidationError("At most 5000 characters.", code=Code.TOO_LONG)
    if website and website.strip():
        try:  # as browsers read it (core.web_urls), and stored so
            website = normalise_web_url(
                website, max_length=MerchantProfile._meta.get_field("website").max_length or 300
            )
        except WebUrlError as error:
            errors["website"] = ValidationError(str(error), code=Code.INVALID)
    if errors:
        raise ValidationError(errors)
    profile = merchant_profile_ensure(merchant)
    changes: dict[str, Any] = {}
    if display_name is not None:
        changes["display_name"] = display_name.strip()
    if slug is not None:
        changes["slug"] = slugify(slug)
    if description is not None:
        changes["description"] = description.strip()
    if website is not None:
        changes["website"] = website.strip()
    try:
        with transaction.atomic():
            for field, value in changes.items():
                setattr(profile, field, value)
            profile.save()
            audit_log(actor=actor, action="merchant_profile.updated", target=profile, fields=sorted(changes))
    except IntegrityError as error:
        raise field_error("slug", "Another merchant uses this slug.", Code.SLUG_TAKEN) from error
    return profile


# --- field checks ----------------------------------------------------------------------------


def _amount(value: Any, field: str, currency: str, errors: dict[str, ValidationError]) -> Decimal | None:
    if value is None:
        errors[field] = ValidationError("Enter an amount.", code=Code.REQUIRED)
        return None
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field] = ValidationError("Enter an amount such as 49.90.", code=Code.INVALID)
        return None
    if not amount.is_finite():
        errors[field] = ValidationError("Enter an amount such as 49.90.", code=Code.INVALID)
    elif amount < 0:
        errors[field] = ValidationError("A price cannot be negative.", code=Code.NEGATIVE_PRICE)
    elif amount >= MAX_PRICE:
        errors[field] = ValidationError("This price is too high.", code=Code.PRICE_TOO_HIGH)
    elif amount != amount.quantize(minor_unit_exponent(currency)):
        errors[field] = ValidationError(
            f"{currency} has no unit smaller than {minor_unit_exponent(currency)}.", code=Code.PRICE_PRECISION
        )
    else:
        return amount
    return None


def _text(value: Any, field: str, limit: int, errors: dict[str, ValidationError]) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        errors[field] = ValidationError(f"At most {limit} characters.", code=Code.TOO_LONG)
    return text


def _text_list(value: Any, field: str, errors: dict[str, ValidationError]) -> list[str]:
    items = [str(item).strip() for item in (value or []) if str(item).strip()]
    if len(items) > MAX_LIST_ITEMS:
        errors[field] = ValidationError(f"At most {MAX_LIST_ITEMS} entries.", code=Code.TOO_MANY)
    elif any(len(item) > MAX_LIST_ITEM_LENGTH for item in items):
        errors[field] = ValidationError(
            f"Keep each entry under {MAX_LIST_ITEM_LENGTH} characters.", code=Code.TOO_LONG
        )
    return items


def _faq(value: Any, errors: dict[str, ValidationError]) -> list[dict[str, str]]:
    entries = []
    for item in value or []:
        question = str(item.get("question", "") if isinstance(item, dict) else "").strip()
        answer = str(item.get("answer", "") if isinstance(item, dict) else "").strip()
        if not question and not answer:
            continue
        if not question or not answer:
            errors["faq"] = ValidationError("Give each question its answer.", code=Code.REQUIRED)
        elif len(question) > MAX_FAQ_QUESTION_LENGTH or len(answer) > MAX_FAQ_ANSWER_LENGTH:
            errors["faq"] = ValidationError(
                f"Questions up to {MAX_FAQ_QUESTION_LENGTH} characters, answers up to "
                f"{MAX_FAQ_ANSWER_LENGTH}.",
                code=Code.TOO_LONG,
            )
        entries.append({"question": question, "answer": answer})
    if len(entries) > MAX_FAQ_ENTRIES:
        errors["faq"] = ValidationError(f"At most {MAX_FAQ_ENTRIES} questions.", code=Code.TOO_MANY)
    return entries


def _whole(
    value: Any, field: str, low: int, high: int, errors: dict[str, ValidationError], *, nullable: bool = False
) -> int | None:
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        errors[field] = ValidationError("Enter a whole number.", code=Code.INVALID)
        return None
    if not low <= value <= high:
        errors[field] = ValidationError(f"Use a number from {low} to {high}.", code=Code.OUT_OF_RANGE)
        return None
    return value


def _coordinate(value: Any, field: str, bound: int, errors: dict[str, ValidationError]) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = ValidationError("Enter a number of degrees.", code=Code.INVALID)
        return None
    if not number.is_finite() or not -bound <= number <= bound:
        errors[field] = ValidationError(f"Use degrees from -{bound} to {bound}.", code=Code.OUT_OF_RANGE)
        return None
    return number.quantize(Decimal("0.000001"))


def _expiry(value: Any, errors: dict[str, ValidationError]) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        errors["expires_at"] = ValidationError("Enter a date and time.", code=Code.INVALID)
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    if value <= timezone.now():
        errors["expires_at"] = ValidationError("Choose a time in the future.", code=Code.IN_THE_PAST)
        return None
    return value


def discount_percent(original_price: Decimal, price: Decimal) -> Decimal:
    """The saving in percent, rounded down to 0.01: a deal never advertises more than it gives."""
    if original_price <= 0:
        return Decimal(0)
    return ((original_price - price) * 100 / original_price).quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def _default_program(currency: str) -> Program | None:
    """The brand's first active program paying in the product's currency: a merchant who does
    not pick one is promoted through the brand's main program."""
    return Program.objects.filter(is_active=True, currency=currency).order_by("id").first()


def _validated(values: dict[str, Any], product: Product | None) -> dict[str, Any]:
    """Cleaned model values (plus ``category_ids``) for the fields present in ``values``;
    every problem raised at once."""
    errors: dict[str, ValidationError] = {}
    cleaned: dict[str, Any] = {}

    program = product.program if product is not None else None
    if "program" in values:
        program = values["program"]
        if program is not None and not program.is_active:
            errors["program_id"] = ValidationError("This program is closed.", code=Code.PROGRAM_INACTIVE)
        cleaned["program"] = program
    elif product is None:
        program = _default_program(brand_currency())
        cleaned["program"] = program
    currency = program.currency if program is not None else brand_currency()
    if product is not None and product.currency != currency and "program" in values:
        errors["program_id"] = ValidationError(
            f"This product is priced in {product.currency}; the program pays in {currency}.",
            code=Code.CURRENCY_MISMATCH,
        )
    given_currency = values.get("currency")
    if given_currency and given_currency != currency:
        errors["currency"] = ValidationError(
            f"Products of this {'program' if program else 'brand'} are priced in {currency}.",
            code=Code.CURRENCY_MISMATCH,
        )
    if product is None:
        cleaned["currency"] = currency

    for field in REQUIRED_ON_CREATE:
        if product is None and values.get(field) in (None, ""):
            errors[field] = ValidationError("This field is required.", code=Code.REQUIRED)
    if "title" in values:
        cleaned["title"] = _text(values["title"], "title", TEXT_LIMITS["title"], errors)
        if not cleaned["title"] and "title" not in errors:
            errors["title"] = ValidationError("Give the deal a title.", code=Code.REQUIRED)
    for field in ("summary", "location_address"):
        if field in values:
            cleaned[field] = _text(values[field], field, TEXT_LIMITS[field], errors)
    if "conditions" in values:
        cleaned["conditions"] = _text(values["conditions"], "conditions", MAX_CONDITIONS_LENGTH, errors)
    if "description_html" in values:
        raw = str(values["description_html"] or "")
        if len(raw) > MAX_DESCRIPTION_LENGTH:
            errors["description_html"] = ValidationError(
                f"At most {MAX_DESCRIPTION_LENGTH} characters.", code=Code.TOO_LONG
            )
        cleaned["description_html"] = sanitize_html(raw)
    for field in ("highlights", "included", "how_it_works"):
        if field in values:
            cleaned[field] = _text_list(values[field], field, errors)
    if "faq" in values:
        cleaned["faq"] = _faq(values["faq"], errors)

    prices: dict[str, Decimal | None] = {}
    for field in ("original_price", "price"):
        if field in values and field not in errors:
            prices[field] = cleaned[field] = _amount(values[field], field, currency, errors)
        elif product is not None:
            prices[field] = getattr(product, field)
    original, price = prices.get("original_price"), prices.get("price")
    if original is not None and price is not None:
        if price > original:
            errors["price"] = ValidationError(
                "The deal price cannot be above the original price.", code=Code.INCONSISTENT_PRICES
            )
        elif {"original_price", "price"} & set(values):
            cleaned["discount_percent"] = discount_percent(original, price)

    if "expires_at" in values:
        cleaned["expires_at"] = _expiry(values["expires_at"], errors)
    if "stock" in values:
        cleaned["stock"] = _whole(values["stock"], "stock", 0, MAX_STOCK, errors, nullable=True)
    bounds: dict[str, int | None] = {}
    for field in ("min_per_purchase", "max_per_purchase"):
        if field in values:
            bounds[field] = cleaned[field] = _whole(values[field], field, 1, MAX_PER_PURCHASE, errors)
        else:
            bounds[field] = getattr(product, field) if product is not None else DEFAULT_BOUNDS[field]
    low, high = bounds["min_per_purchase"], bounds["max_per_purchase"]
    if low is not None and high is not None and low > high:
        errors["max_per_purchase"] = ValidationError(
            "The maximum per purchase cannot be below the minimum.", code=Code.QUANTITY_BOUNDS
        )

    for field, bound in (("latitude", 90), ("longitude", 180)):
        if field in values:
            cleaned[field] = _coordinate(values[field], field, bound, errors)
    if {"latitude", "longitude"} & set(values) and not {"latitude", "longitude"} & set(errors):
        latitude = cleaned.get("latitude", product.latitude if product else None)
        longitude = cleaned.get("longitude", product.longitude if product else None)
        if (latitude is None) != (longitude is None):
            missing = "longitude" if longitude is None else "latitude"
            errors[missing] = ValidationError("Give both latitude and longitude.", code=Code.REQUIRED)

    if "category_ids" in values:
        ids = list(dict.fromkeys(int(pk) for pk in values["category_ids"] or []))
        if len(ids) > MAX_CATEGORIES_PER_PRODUCT:
            errors["category_ids"] = ValidationError(
                f"At most {MAX_CATEGORIES_PER_PRODUCT} categories.", code=Code.TOO_MANY
            )
        elif Category.objects.filter(pk__in=ids).count() != len(ids):
            errors["category_ids"] = ValidationError("Unknown category.", code=Code.NOT_FOUND)
        cleaned["category_ids"] = ids

    if "slug" in values and values["slug"] is not None:
        slug = slugify(str(values["slug"]))
        if not slug or len(slug) > 180:
            errors["slug"] = ValidationError(
                "Use letters, digits and dashes (at most 180).", code=Code.INVALID
            )
        elif Product.objects.filter(slug=slug).exclude(pk=product.pk if product else 0).exists():
            errors["slug"] = ValidationError("Another product uses this address.", code=Code.SLUG_TAKEN)
        cleaned["slug"] = slug
    if "affiliation_auto_approve" in values:
        cleaned["affiliation_auto_approve"] = bool(values["affiliation_auto_approve"])
    if errors:
        raise ValidationError(errors)
    return cleaned


def search_vector_refresh(product_ids: list[int]) -> None:
    """Rebuild the weighted search vector (title A, summary B, description C) in the same
    transaction as the write, so that search never lags behind the catalog."""
    for product in Product.objects.filter(pk__in=product_ids).only("pk", "description_html"):
        Product.objects.filter(pk=product.pk).update(
            search_vector=SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("summary", weight="B", config=SEARCH_CONFIG)
            + SearchVector(Value(html_to_text(product.description_html)), weight="C", config=SEARCH_CONFIG)
        )


def product_quota_error(merchant: User) -> ValidationError | None:
    """The user error to return when the merchant may not add (or un-archive) one more product
    under its plan's quota (``billing``).

    Call it inside the transaction that writes the product: it then locks the merchant's row,
    so two concurrent creates cannot both take the last free slot.
    """
    if transaction.get_connection().in_atomic_block:
        User.objects.select_for_update().filter(pk=merchant.pk).values_list("pk", flat=True).first()
    plan = merchant_plan(merchant)
    if plan.product_quota is None:
        return None
    used = products_used(merchant)
    if used < plan.product_quota:
        return None
    message = (
        f"Your {plan.name} plan allows {plan.product_quota} products and you have {used}: "
        "upgrade your plan or archive a product."
        if plan.product_quota
        else "Subscribe to a plan to list products."
    )
    return ValidationError(
        {NON_FIELD_ERRORS: ValidationError(message, code=BillingErrorCode.PLAN_PRODUCT_QUOTA_REACHED)}
    )


def _check_quota(merchant: User) -> None:
    """The merchant's plan quota (billing counts every product that is not archived). Called
    inside the writing transaction: it locks the merchant's row, so two concurrent creations
    cannot both take the last free slot."""
    error = product_quota_error(merchant)
    if error is not None:
        raise error


# --- products --------------------------------------------------------------------------------


def product_create(*, actor: User | None, merchant: User, **fields: Any) -> Product:
    """A draft product of ``merchant``; its slug comes from the title unless given."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    if merchant.role != Role.MERCHANT:
        raise field_error("merchantId", "Products belong to a merchant account.", Code.NOT_A_MERCHANT)
    cleaned = _validated(fields, None)
    category_ids = cleaned.pop("category_ids", [])
    explicit_slug = "slug" in cleaned
    for _ in range(3):
        if not explicit_slug:
            cleaned["slug"] = _unique_slug(Product, slugify(cleaned["title"]) or "deal", 180)
        try:
            with transaction.atomic():
                _check_quota(merchant)
                merchant_profile_ensure(merchant)
                product = Product.objects.create(merchant=merchant, **cleaned)
                product.categories.set(category_ids)
                search_vector_refresh([product.pk])
                audit_log(actor=actor, action="product.created", target=product, merchant=merchant.pk)
                return product
        except IntegrityError as error:
            if explicit_slug:
                raise field_error("slug", "Another product uses this address.", Code.SLUG_TAKEN) from error
            # Another product took the generated slug meanwhile: draw the next one.
    raise field_error("slug", "Could not find a free address; give one.", Code.SLUG_TAKEN)


def product_update(*, actor: User | None, product: Product, **changes: Any) -> Product:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not editable: {sorted(unknown)}")
    cleaned = _validated(changes, product)
    category_ids = cleaned.pop("category_ids", None)
    try:
        with transaction.atomic():
            locked = Product.objects.select_for_update().get(pk=product.pk)
            old_program_id = locked.program_id
            changed = sorted(field for field, value in cleaned.items() if getattr(locked, field) != value)
            for field in changed:
                setattr(locked, field, cleaned[field])
            locked.save()
            if category_ids is not None:
                locked.categories.set(category_ids)
            if locked.program_id != old_program_id:
                _offer_rule_follow(locked, old_program_id)
            if {"title", "summary", "description_html"} & set(changed):
                search_vector_refresh([locked.pk])
            audit_log(actor=actor, action="product.updated", target=locked, fields=changed)
    except IntegrityError as error:
        raise field_error("slug", "Another product uses this address.", Code.SLUG_TAKEN) from error
    return locked


def _offer_rule_follow(product: Product, old_program_id: int | None) -> None:
    """The product's own commission rule moves with it to its new program."""
    if old_program_id is None:
        return
    rules = OfferRule.objects.filter(program_id=old_program_id, offer_ref=product.offer_ref)
    if product.program_id is None:
        rules.delete()
        return
    OfferRule.objects.filter(program_id=product.program_id, offer_ref=product.offer_ref).delete()
    rules.update(program_id=product.program_id)


def product_status_set(*, actor: User | None, product: Product, status: str) -> Product:
    """Move a product along draft → active ⇄ paused → archived (→ draft).

    Going live needs an unexpired offer. The plan quota counts every product that is not
    archived (billing.services.plans), so it is checked where a product enters that count:
    at creation and when an archived product comes back; activating a draft or a paused
    product, already counted, takes no new slot.
    """
    if status not in ProductStatus.values:
        raise field_error("status", "Unknown status.", Code.INVALID)
    with transaction.atomic():
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if locked.status == status:
            return locked
        if status not in TRANSITIONS[locked.status]:
            raise field_error(
                "status", f"A {locked.status} product cannot become {status}.", Code.INVALID_TRANSITION
            )
        if locked.status == ProductStatus.ARCHIVED:
            _check_quota(locked.merchant)
        if status == ProductStatus.ACTIVE and locked.paused_reason == PAUSED_BY_PLAN_DOWNGRADE:
            _check_live_quota(locked.merchant)
        if status == ProductStatus.ACTIVE:
            if locked.expires_at is not None and locked.expires_at <= timezone.now():
                raise field_error("expiresAt", "This offer has expired: move its end date.", Code.EXPIRED)
            locked.published_at = locked.published_at or timezone.now()
        previous = locked.status
        locked.status = status
        locked.paused_reason = ""  # the merchant's own decision from now on
        if status != ProductStatus.ACTIVE:
            locked.is_deal_of_the_day = False
        locked.save(
            update_fields=["status", "published_at", "is_deal_of_the_day", "paused_reason", "updated_at"]
        )
        audit_log(
            actor=actor, action="product.status_changed", target=locked, previous=previous, status=status
        )
    return locked


# --- plan downgrades (billing's merchant_plan.downgraded / .restored) ------------------------------

PAUSED_BY_PLAN_DOWNGRADE = "plan_downgrade"


def _live_products(merchant_id: int) -> Any:
    return Product.objects.filter(merchant_id=merchant_id, status=ProductStatus.ACTIVE)


def _check_live_quota(merchant: User) -> None:
    """A product paused by a plan downgrade goes live again only within the plan's quota."""
    plan = merchant_plan(merchant)
    if plan.product_quota is not None and _live_products(merchant.pk).count() >= plan.product_quota:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: ValidationError(
                    f"Your {plan.name} plan allows {plan.product_quota} live products: "
                    "upgrade your plan or pause another product first.",
                    code=BillingErrorCode.PLAN_PRODUCT_QUOTA_REACHED,
                )
            }
        )


def products_plan_downgrade(*, merchant_id: int, quota: int | None) -> int:
    """The merchant's plan fell back to one allowing ``quota`` products: the live products
    above it are paused, never deleted (the oldest published stay live), marked
    ``paused_reason="plan_downgrade"`` so that a restored plan brings them back. Idempotent.
    Returns how many were paused."""
    if quota is None:
        return 0
    User.objects.select_for_update().filter(pk=merchant_id).values_list("pk", flat=True).first()
    live = list(_live_products(merchant_id).order_by("published_at", "pk").values_list("pk", flat=True))
    extra = live[max(int(quota), 0) :]
    if not extra:
        return 0
    Product.objects.filter(pk__in=extra).update(
        status=ProductStatus.PAUSED,
        paused_reason=PAUSED_BY_PLAN_DOWNGRADE,
        is_deal_of_the_day=False,
        updated_at=timezone.now(),
    )
    for pk in extra:
        audit_log(
            actor=None,
            action="product.status_changed",
            target=Product(pk=pk),
            previous=ProductStatus.ACTIVE,
            status=ProductStatus.PAUSED,
            reason=PAUSED_BY_PLAN_DOWNGRADE,
        )
    return len(extra)


def products_plan_restore(*, merchant_id: int, quota: int | None) -> int:
    """The merchant's plan applies again: the products its downgrade paused are live again
    (within ``quota``; an offer that expired meanwhile stays paused, as the merchant's own).
    Idempotent. Returns how many went live."""
    User.objects.select_for_update().filter(pk=merchant_id).values_list("pk", flat=True).first()
    paused = Product.objects.filter(
        merchant_id=merchant_id, status=ProductStatus.PAUSED, paused_reason=PAUSED_BY_PLAN_DOWNGRADE
    ).order_by("published_at", "pk")
    room = None if quota is None else max(int(quota) - _live_products(merchant_id).count(), 0)
    now = timezone.now()
    restored = 0
    for product in paused:
        if (product.expires_at is not None and product.expires_at <= now) or (
            room is not None and restored >= room
        ):
            Product.objects.filter(pk=product.pk).update(paused_reason="", updated_at=now)
            continue
        Product.objects.filter(pk=product.pk).update(
            status=ProductStatus.ACTIVE, paused_reason="", updated_at=now
        )
        audit_log(
            actor=None,
            action="product.status_changed",
            target=product,
            previous=ProductStatus.PAUSED,
            status=ProductStatus.ACTIVE,
            reason="plan_restored",
        )
        restored += 1
    return restored


def product_promotion_set(
    *, actor: User | None, product: Product, featured: bool | None = None, deal_of_the_day: bool | None = None
) -> Product:
    """Brand admins feature products and pick the one deal of the day (which must be live)."""
    with transaction.atomic():
        if deal_of_the_day:
            # One deal of the day per brand: concurrent picks queue here (the partial unique
            # constraint marketplace_one_deal_of_the_day would refuse the loser otherwise).
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{current_schema()}:dotd"])
        locked = Product.objects.select_for_update().get(pk=product.pk)
        if deal_of_the_day and (
            locked.status != ProductStatus.ACTIVE
            or (locked.expires_at is not None and locked.expires_at <= timezone.now())
        ):
            raise field_error(
                "dealOfTheDay", "Only a live product can be the deal of the day.", Code.PRODUCT_UNAVAILABLE
            )
        if deal_of_the_day:
            Product.objects.filter(is_deal_of_the_day=True).exclude(pk=locked.pk).update(
                is_deal_of_the_day=False
            )
        if featured is not None:
            locked.is_featured = featured
        if deal_of_the_day is not None:
            locked.is_deal_of_the_day = deal_of_the_day
        locked.save(update_fields=["is_featured", "is_deal_of_the_day", "updated_at"])
        audit_log(
            actor=actor,
            action="product.promotion_set",
            target=locked,
            featured=locked.is_featured,
            deal_of_the_day=locked.is_deal_of_the_day,
        )
    return locked


def product_commission_rule_set(
    *,
    actor: User | None,
    product: Product,
    kind: str | None,
    rate: Any = None,
    flat_amount: Any = None,
) -> OfferRule | None:
    """The product's own commission in its program (the engine's ``OfferRule`` for
    ``product:<id>``), checked like the program's rules; ``kind=None`` goes back to the
    program's rule."""
    program = product.program
    if program is None:
        raise field_error("productId", "Attach the product to a partner program first.", Code.NO_PROGRAM)
    rules = OfferRule.objects.filter(program=program, offer_ref=product.offer_ref)
    if kind is None:
        with transaction.atomic():
            rules.delete()
            audit_log(actor=actor, action="product.commission_rule_cleared", target=product)
        return None
    defaults: dict[str, Any] = {"commission_kind": kind, "rate": None, "flat_amount": None}
    if kind == CommissionKind.PERCENTAGE:
        try:
            value = Decimal(str(rate)) if rate is not None else None
        except (InvalidOperation, ValueError):
            value = None
        if value is None or not value.is_finite():
            raise field_error("rate", "Give the percentage of the sale.", Code.REQUIRED)
        if not Decimal(0) <= value <= Decimal(100):
            raise field_error("rate", "Use a percentage between 0 and 100.", Code.OUT_OF_RANGE)
        cascade = sum(program.cascade_rates, Decimal(0))
        if value + cascade > 100:
            raise field_error(
                "rate",
                f"{value} % plus the referral cascade ({cascade} %) would pay out more than the sale.",
                Code.RATES_TOO_HIGH,
            )
        defaults["rate"] = value
    elif kind == CommissionKind.FLAT:
        errors: dict[str, ValidationError] = {}
        amount = _amount(flat_amount, "flat_amount", program.currency, errors)
        if errors:
            raise ValidationError(errors)
        assert amount is not None
        if amount > product.price:
            raise field_error(
                "flatAmount", "A commission cannot exceed the deal's price.", Code.COMMISSION_TOO_HIGH
            )
        defaults["flat_amount"] = amount
    else:
        raise field_error("kind", "Choose a percentage or a flat amount.", Code.INVALID)
    with transaction.atomic():
        rule, _ = OfferRule.objects.update_or_create(
            program=program, offer_ref=product.offer_ref, defaults=defaults
        )
        audit_log(
            actor=actor,
            action="product.commission_rule_set",
            target=product,
            kind=kind,
            rate=str(defaults["rate"]),
            flat_amount=str(defaults["flat_amount"]),
        )
    return rule
