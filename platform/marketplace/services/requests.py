"""Affiliation requests: an affiliate asks to promote a product, its merchant decides, and an
approved affiliate gets tracked links to the product page through the affiliate engine."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from affiliation.models import Affiliate, AffiliateStatus, Link
from affiliation.services import link_create
from core.audit import audit_log
from core.errors import field_error
from marketplace.error_codes import CatalogErrorCode as Code
from marketplace.models import AffiliationRequest, AffiliationRequestStatus, Product, ProductStatus
from marketplace.selectors import current_base_url, product_page_url

MAX_MESSAGE_LENGTH = 1000
MAX_NOTE_LENGTH = 500
AUTO_APPROVAL_NOTE = "Approved automatically."


def _is_live(product: Product) -> bool:
    return product.status == ProductStatus.ACTIVE and (
        product.expires_at is None or product.expires_at > timezone.now()
    )


def _approved_membership(user: User, product: Product) -> Affiliate:
    if product.program_id is None:
        raise field_error("productId", "This product has no partner program.", Code.NO_PROGRAM)
    affiliate = (
        Affiliate.objects.select_related("program", "user")
        .filter(user=user, program_id=product.program_id)
        .first()
    )
    if affiliate is None or affiliate.status != AffiliateStatus.APPROVED:
        raise field_error(
            "productId",
            "Join this product's partner program (and be approved) first.",
            Code.NOT_AN_AFFILIATE,
        )
    return affiliate


def affiliation_request_create(*, user: User, product: Product, message: str = "") -> AffiliationRequest:
    """Ask to promote a live product. Products set to auto-approve answer at once; a rejected
    affiliate may ask again (the same request goes back to pending)."""
    message = (message or "").strip()
    if len(message) > MAX_MESSAGE_LENGTH:
        raise field_error("message", f"At most {MAX_MESSAGE_LENGTH} characters.", Code.TOO_LONG)
    if not _is_live(product):
        raise field_error("productId", "This product is not on sale.", Code.PRODUCT_UNAVAILABLE)
    affiliate = _approved_membership(user, product)
    now = timezone.now()
    decision: dict[str, Any] = (
        {"status": AffiliationRequestStatus.APPROVED, "decided_at": now, "decision_note": AUTO_APPROVAL_NOTE}
        if product.affiliation_auto_approve
        else {"status": AffiliationRequestStatus.PENDING, "decided_at": None, "decision_note": ""}
    )
    with transaction.atomic():
        existing = (
            AffiliationRequest.objects.select_for_update()
            .filter(product=product, affiliate=affiliate)
            .first()
        )
        if existing is not None and existing.status != AffiliationRequestStatus.REJECTED:
            raise field_error(
                "productId", "You have already asked to promote this product.", Code.ALREADY_REQUESTED
            )
        if existing is not None:
            for field, value in {**decision, "message": message, "decided_by": None}.items():
                setattr(existing, field, value)
            existing.save()
            request = existing
        else:
            try:
                with transaction.atomic():
                    request = AffiliationRequest.objects.create(
                        product=product, affiliate=affiliate, message=message, **decision
                    )
            except IntegrityError as error:  # the same request sent twice at once
                raise field_error(
                    "productId", "You have already asked to promote this product.", Code.ALREADY_REQUESTED
                ) from error
        audit_log(actor=user, action="affiliation_request.created", target=request, status=request.status)
    return request


def affiliation_request_decide(
    *, actor: User, request: AffiliationRequest, approve: bool, note: str = ""
) -> AffiliationRequest:
    """The merchant (or a brand admin) answers a pending request, with an optional note."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise field_error("note", f"At most {MAX_NOTE_LENGTH} characters.", Code.TOO_LONG)
    with transaction.atomic():
        locked = AffiliationRequest.objects.select_for_update().get(pk=request.pk)
        if locked.status != AffiliationRequestStatus.PENDING:
            raise field_error("requestId", f"This request is already {locked.status}.", Code.ALREADY_DECIDED)
        locked.status = AffiliationRequestStatus.APPROVED if approve else AffiliationRequestStatus.REJECTED
        locked.decided_by = actor
        locked.decided_at = timezone.now()
        locked.decision_note = note
        locked.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        audit_log(actor=actor, action="affiliation_request.decided", target=locked, status=locked.status)
    return locked


def product_link_create(
    *,
    user: User,
    product: Product,
    title: str = "",
    sub_ids: dict[str, Any] | None = None,
    utm: dict[str, Any] | None = None,
) -> Link:
    """A tracked link to the product's page on the brand's host, named ``product:<id>`` in the
    engine (so the product's own commission rule applies), for an affiliate whose request to
    promote it was approved."""
    affiliate = _approved_membership(user, product)
    approved = AffiliationRequest.objects.filter(
        product=product, affiliate=affiliate, status=AffiliationRequestStatus.APPROVED
    ).exists()
    if not approved:
        raise field_error(
            "productId",
            "Ask to promote this product and wait for the merchant's approval.",
            Code.NOT_APPROVED_FOR_PRODUCT,
        )
    if not _is_live(product):
        raise field_error("productId", "This product is not on sale.", Code.PRODUCT_UNAVAILABLE)
    return link_create(
        affiliate=affiliate,
        target_url=product_page_url(product, current_base_url()),
        title=(title or product.title)[:120],
        sub_ids=sub_ids,
        utm=utm,
        offer_ref=product.offer_ref,
    )
