"""Tracked links and coupons."""

from __future__ import annotations

import secrets
import string
from typing import Any
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from affiliation.error_codes import AffiliationErrorCode as Code
from affiliation.models import Affiliate, AffiliateStatus, Coupon, Link
from affiliation.offers import offer_owner
from core.audit import audit_log
from core.errors import field_error
from core.events import emit
from core.tenancy import current_schema, tenant_connection
from core.web_urls import WebUrlError, normalise_web_url
from tenants.models import Domain
from tracking.routing import link_route_publish

CODE_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 7  # 62^7 ≈ 3.5e12 codes
SUB_ID_KEYS = ("sub1", "sub2", "sub3", "sub4", "sub5")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MAX_PARAMETER_LENGTH = 100


def allowed_hosts(affiliate: Affiliate) -> set[str]:
    """Where a link may send people: the program's landing host, its allow-listed merchant
    domains, and the brand's own domains. Anything else would be an open redirect."""
    program = affiliate.program
    hosts = {_host_of(program.landing_url), *program.allowed_domains}
    tenant = tenant_connection().tenant
    hosts.update(Domain.objects.filter(tenant_id=tenant.pk).values_list("domain", flat=True))
    return {host.lower() for host in hosts if host}


def _host_of(url: str) -> str:
    """The host browsers reach at ``url`` (normalised), or "" if the URL is not acceptable."""
    try:
        return urlsplit(normalise_web_url(url)).hostname or ""
    except WebUrlError:
        return ""


def _clean_parameters(values: dict[str, Any] | None, keys: tuple[str, ...], field: str) -> dict[str, str]:
    values = values or {}
    unknown = set(values) - set(keys)
    if unknown:
        raise field_error(field, f"Only {', '.join(keys)} are allowed.", Code.INVALID)
    cleaned = {key: str(value).strip() for key, value in values.items() if str(value).strip()}
    if any(len(value) > MAX_PARAMETER_LENGTH for value in cleaned.values()):
        raise field_error(field, f"Keep each value under {MAX_PARAMETER_LENGTH} characters.", Code.INVALID)
    return cleaned


def _publish_route(link: Link) -> None:
    """Tell the redirect lane (tracking.routing) about the link once the row is committed.
    The schema is read now: by commit time a tenant_context may have exited."""
    schema_name = current_schema()
    transaction.on_commit(lambda: link_route_publish(link, schema_name=schema_name))


def link_create(
    *,
    affiliate: Affiliate,
    target_url: str = "",
    title: str = "",
    sub_ids: dict[str, Any] | None = None,
    utm: dict[str, Any] | None = None,
    offer_ref: str = "",
) -> Link:
    """A short link for an approved affiliate, to the program's landing page by default or to
    a URL on an allowed host."""
    if affiliate.status != AffiliateStatus.APPROVED:
        raise field_error("affiliate", "Your membership is not approved yet.", Code.NOT_APPROVED)
    # Normalised as browsers read it (core.web_urls), so the host checked is the host reached;
    # the normalised URL is what the link stores and redirects to.
    try:
        target_url = normalise_web_url(
            target_url if target_url.strip() else affiliate.program.landing_url,
            max_length=Link._meta.get_field("target_url").max_length or 2000,
        )
    except WebUrlError as error:
        raise field_error("targetUrl", str(error), Code.INVALID) from error
    host = urlsplit(target_url).hostname or ""
    if host not in allowed_hosts(affiliate):
        raise field_error(
            "targetUrl", f"{host} is not one of this program's domains.", Code.DOMAIN_NOT_ALLOWED
        )
    cleaned_sub_ids = _clean_parameters(sub_ids, SUB_ID_KEYS, "subIds")
    cleaned_utm = _clean_parameters(utm, UTM_KEYS, "utm")
    for _ in range(5):
        try:
            with transaction.atomic():
                link = Link.objects.create(
                    affiliate=affiliate,
                    program_id=affiliate.program_id,
                    code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
                    title=title.strip()[:120],
                    target_url=target_url,
                    sub_ids=cleaned_sub_ids,
                    utm=cleaned_utm,
                    offer_ref=offer_ref,
                )
                audit_log(actor=affiliate.user, action="link.created", target=link)
                emit(
                    "link.created",
                    {
                        "link_id": link.pk,
                        "affiliate_id": affiliate.pk,
                        "program_id": link.program_id,
                        "code": link.code,
                        "target_url": link.target_url,
                    },
                )
                _publish_route(link)
                return link
        except IntegrityError:
            continue  # a code collision: draw another
    raise RuntimeError("could not draw a free link code")


def link_archive(*, actor: Any, link: Link) -> Link:
    """Archived links answer the brand's 404 page; their clicks and earnings stay."""
    if link.archived_at is None:
        with transaction.atomic():
            link.archived_at = timezone.now()
            link.save(update_fields=["archived_at"])
            audit_log(actor=actor, action="link.archived", target=link)
            _publish_route(link)
    return link


def coupon_create(*, actor: Any, affiliate: Affiliate, code: str, offer_ref: str = "") -> Coupon:
    """A coupon of the affiliate's, program-wide or for one offer (``product:<id>``) of its
    program: the offer's merchant may then record sales with it."""
    if affiliate.status != AffiliateStatus.APPROVED:
        raise field_error("affiliateId", "Approve the affiliate first.", Code.NOT_APPROVED)
    code = code.strip().upper()
    if not code or len(code) > 40 or not code.replace("-", "").replace("_", "").isalnum():
        raise field_error("code", "Use letters, digits, - or _, up to 40 characters.", Code.INVALID)
    offer_ref = offer_ref.strip()
    if offer_ref:
        owner = offer_owner(offer_ref)
        if owner is None or owner.program_id != affiliate.program_id:
            raise field_error("offerRef", "No offer of this program has this reference.", Code.INVALID)
    try:
        with transaction.atomic():
            coupon = Coupon.objects.create(affiliate=affiliate, code=code, offer_ref=offer_ref)
            audit_log(actor=actor, action="coupon.created", target=coupon)
    except IntegrityError as error:
        raise field_error("code", "This coupon code is taken.", Code.CODE_TAKEN) from error
    return coupon
