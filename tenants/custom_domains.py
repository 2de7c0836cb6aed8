"""Custom domains of a brand: claim, verify, make primary, remove (writes), and the beat re-check.

The life of a claim (``CustomDomain``, public schema):

1. ``custom_domain_add``: a brand admin claims ``partners.example.com``; the claim is
   *pending*, with a random token and ``CUSTOM_DOMAIN_PENDING_DAYS`` to be verified. Nothing
   routes to it: it is not a ``Domain`` row (tenancy, the click lane and the TLS ask endpoint
   know only those).
2. ``custom_domain_verify`` ("verify now") and the beat (``custom_domains_recheck``) check the
   DNS TXT record or the HTTP token (``tenants.domain_checks``). Once verified, the host becomes
   a non-primary ``Domain`` row of the brand and its click-lane host route is published.
   A pending claim that reaches its deadline *fails*; "verify now" restarts it.
3. ``custom_domain_make_primary``: every URL the product emits (``brand_base_url``) switches to
   it, and web pages on the brand's other hosts redirect there (``tenants.hosts``).
4. ``custom_domain_remove``: the claim, its ``Domain`` row and its host route go; the primary
   falls back to the brand's subdomain.

Errors are field errors with codes of ``CustomDomainErrorCode``. A claim of another brand
answers exactly like one that does not exist; a pending claim of another brand on the same host
does not stop a claim (several may be pending: the first verified wins the unique ``Domain``
row), so adding a domain never reveals another brand's pending claim.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from core.audit import audit_log
from tenants.domain_checks import CheckOutcome, DomainVerifier, default_verifier
from tenants.error_codes import CustomDomainErrorCode as Code
from tenants.hosts_events import brand_hosts_changed
from tenants.models import CustomDomain, CustomDomainStatus, Domain, Tenant
from tenants.selectors import brand_subdomain_host
from tenants.validators import validate_custom_domain


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _not_found() -> ValidationError:
    return _error("id", "No such domain.", Code.NOT_FOUND)


def _audit(tenant: Tenant, *, actor: Any, action: str, claim: CustomDomain, **data: Any) -> None:
    """Audit events go to the brand's own log, whichever schema the caller is in."""
    with schema_context(tenant.schema_name):
        audit_log(actor=actor, action=action, target=claim, domain=claim.domain, **data)


def new_claim_token() -> str:
    return "afv-" + secrets.token_hex(16)


def custom_domain_add(*, actor: Any, tenant: Tenant, domain: str) -> CustomDomain:
    """Claim ``domain`` for ``tenant``; the claim waits for verification."""
    try:
        host = validate_custom_domain(domain)
    except ValidationError as error:
        raise ValidationError({"domain": error}) from None
    now = timezone.now()
    with schema_context(get_public_schema_name()), transaction.atomic():
        # One brand's claims are counted under its row's lock: two concurrent adds cannot
        # both pass the limit.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        claims = CustomDomain.objects.filter(tenant=tenant)
        if claims.filter(domain=host).exists():
            raise _error("domain", "This domain is already on your list.", Code.ALREADY_ADDED)
        if Domain.objects.filter(domain=host).exists():  # served by another brand (ours: just above)
            raise _error("domain", "This domain cannot be added.", Code.UNAVAILABLE)
        limit = settings.CUSTOM_DOMAINS_MAX_PER_BRAND
        if claims.count() >= limit:
            raise _error(
                "domain",
                f"A brand may have at most {limit} custom domains. Remove one first.",
                Code.LIMIT_REACHED,
            )
        claim = CustomDomain.objects.create(
            tenant=tenant,
            domain=host,
            token=new_claim_token(),
            expires_at=now + dt.timedelta(days=settings.CUSTOM_DOMAIN_PENDING_DAYS),
            created_by_email=getattr(actor, "email", "") or "",
        )
        _audit(tenant, actor=actor, action="custom_domain.added", claim=claim)
    return claim


def _claim_of(tenant: Tenant, custom_domain_id: Any, *, lock: bool = False) -> CustomDomain:
    try:
        pk = int(custom_domain_id)
    except (TypeError, ValueError):
        raise _not_found() from None
    claims = CustomDomain.objects.select_related("tenant").filter(tenant=tenant, pk=pk)
    claim = (claims.select_for_update(of=("self",)) if lock else claims).first()
    if claim is None:
        raise _not_found()
    return claim


def custom_domain_verify(
    *, actor: Any, tenant: Tenant, custom_domain_id: Any, verifier: DomainVerifier | None = None
) -> CustomDomain:
    """ "Verify now": check the claim at once and record the outcome (a verified claim is left as
    it is). A failed (expired) claim gets a fresh verification period when the check fails."""
    with schema_context(get_public_schema_name()):
        claim = _claim_of(tenant, custom_domain_id)
        if claim.status == CustomDomainStatus.VERIFIED:
            return claim
        interval = settings.CUSTOM_DOMAIN_CHECK_MIN_INTERVAL_SECONDS
        if claim.last_checked_at and timezone.now() - claim.last_checked_at < dt.timedelta(seconds=interval):
            raise _error(
                "id", f"Checked a moment ago. Try again in {interval} seconds.", Code.CHECKED_RECENTLY
            )
        return _check_and_record(claim.pk, actor=actor, verifier=verifier, restart=True)


def custom_domain_check(
    *, custom_domain_id: int, verifier: DomainVerifier | None = None
) -> CustomDomain | None:
    """The beat's check of one pending claim (None when it is gone or no longer pending)."""
    with schema_context(get_public_schema_name()):
        claim = CustomDomain.objects.filter(pk=custom_domain_id, status=CustomDomainStatus.PENDING).first()
        if claim is None:
            return None
        try:
            return _check_and_record(claim.pk, actor=None, verifier=verifier, restart=False)
        except ValidationError:  # removed meanwhile
            return None


def _check_and_record(
    claim_id: int, *, actor: Any, verifier: DomainVerifier | None, restart: bool
) -> CustomDomain:
    """Check outside any transaction (DNS and HTTP take seconds), then record under the claim's lock."""
    unlocked = CustomDomain.objects.get(pk=claim_id)
    outcome = (verifier or default_verifier()).check(unlocked.domain, unlocked.token)
    now = timezone.now()
    with transaction.atomic():
        claim = (
            CustomDomain.objects.select_for_update(of=("self",))
            .select_related("tenant")
            .filter(pk=claim_id)
            .first()
        )
        if claim is None:
            raise _not_found()
        if claim.status == CustomDomainStatus.VERIFIED:
            return claim
        tenant = claim.tenant
        if outcome.verified:
            try:
                with transaction.atomic():  # the unique host decides between brands
                    Domain.objects.create(domain=claim.domain, tenant=tenant, is_primary=False)
            except IntegrityError:
                outcome = CheckOutcome(False, "", Code.UNAVAILABLE, "This domain is already in use.")
        claim.last_checked_at = now
        if outcome.verified:
            claim.status = CustomDomainStatus.VERIFIED
            claim.verified_at = now
            claim.verified_method = outcome.method
            claim.last_check_code = claim.last_check_message = ""
            _audit(tenant, actor=actor, action="custom_domain.verified", claim=claim, method=outcome.method)
            brand_hosts_changed(tenant)
        else:
            claim.last_check_code = outcome.code
            claim.last_check_message = outcome.message[:500]
            if restart and claim.status == CustomDomainStatus.FAILED:
                claim.status = CustomDomainStatus.PENDING
                claim.expires_at = now + dt.timedelta(days=settings.CUSTOM_DOMAIN_PENDING_DAYS)
        claim.save()
    return claim


def custom_domain_make_primary(*, actor: Any, tenant: Tenant, custom_domain_id: Any) -> CustomDomain:
    """Make a verified custom domain the brand's canonical host."""
    with schema_context(get_public_schema_name()), transaction.atomic():
        claim = _claim_of(tenant, custom_domain_id, lock=True)
        if claim.status != CustomDomainStatus.VERIFIED:
            raise _error("id", "Verify this domain before making it primary.", Code.NOT_VERIFIED)
        _primary_set(tenant, claim.domain)
        _audit(tenant, actor=actor, action="custom_domain.made_primary", claim=claim)
    return claim


def brand_primary_domain_reset(*, actor: Any, tenant: Tenant) -> None:
    """Make the brand's subdomain its canonical host again (custom domains keep being served)."""
    with schema_context(get_public_schema_name()), transaction.atomic():
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        host = brand_subdomain_host(tenant)
        if Domain.objects.filter(tenant=tenant, domain=host, is_primary=True).exists():
            return
        _primary_set(tenant, host)
        with schema_context(tenant.schema_name):
            audit_log(actor=actor, action="custom_domain.primary_reset", target=None, domain=host)


def _primary_set(tenant: Tenant, host: str) -> None:
    Domain.objects.filter(tenant=tenant).exclude(domain=host).update(is_primary=False)
    Domain.objects.filter(tenant=tenant, domain=host).update(is_primary=True)


def custom_domain_remove(*, actor: Any, tenant: Tenant, custom_domain_id: Any) -> CustomDomain:
    """Remove a claim; a verified one stops being served (its ``Domain`` row and host route go)
    and, if it was primary, the subdomain is primary again. Returns the removed claim."""
    with schema_context(get_public_schema_name()), transaction.atomic():
        claim = _claim_of(tenant, custom_domain_id, lock=True)
        removed_id = claim.pk
        served = Domain.objects.filter(tenant=tenant, domain=claim.domain).first()
        if served is not None:
            was_primary = served.is_primary
            served.delete()
            if was_primary:
                _primary_set(tenant, brand_subdomain_host(tenant))
            brand_hosts_changed(tenant, removed=[claim.domain])
        claim.delete()
        claim.pk = removed_id
        _audit(tenant, actor=actor, action="custom_domain.removed", claim=claim)
    return claim


def custom_domains_expire(*, now: dt.datetime | None = None) -> int:
    """Pending claims past their deadline fail (the beat stops checking them)."""
    now = now or timezone.now()
    expired = 0
    with schema_context(get_public_schema_name()):
        due = CustomDomain.objects.filter(status=CustomDomainStatus.PENDING, expires_at__lte=now)
        for claim_id in list(due.values_list("pk", flat=True)):
            with transaction.atomic():
                claim = (
                    CustomDomain.objects.select_for_update(of=("self",))
                    .select_related("tenant")
                    .filter(pk=claim_id, status=CustomDomainStatus.PENDING)
                    .first()
                )
                if claim is None:
                    continue
                claim.status = CustomDomainStatus.FAILED
                claim.last_check_code = Code.EXPIRED
                claim.last_check_message = (
                    f"Not verified within {settings.CUSTOM_DOMAIN_PENDING_DAYS} days. "
                    "Fix the DNS record, then verify again."
                )[:500]
                claim.save(update_fields=["status", "last_check_code", "last_check_message"])
                _audit(claim.tenant, actor=None, action="custom_domain.expired", claim=claim)
                expired += 1
    return expired


def custom_domains_due(*, now: dt.datetime | None = None) -> list[int]:
    """Pending claims whose last check is older than ``CUSTOM_DOMAIN_RECHECK_MINUTES``."""
    now = now or timezone.now()
    threshold = now - dt.timedelta(minutes=settings.CUSTOM_DOMAIN_RECHECK_MINUTES)
    with schema_context(get_public_schema_name()):
        pending = CustomDomain.objects.filter(status=CustomDomainStatus.PENDING, expires_at__gt=now)
        never = pending.filter(last_checked_at__isnull=True)
        stale = pending.filter(last_checked_at__lt=threshold)
        return sorted(set(never.values_list("pk", flat=True)) | set(stale.values_list("pk", flat=True)))
