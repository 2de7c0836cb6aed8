"""Reads of brands and domains. Public-schema tables are not protected by the search path:
every query here filters explicitly."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from tenants.models import CustomDomain, CustomDomainStatus, Domain, IpBlock, Tenant, TenantKind
from themes import brand_theme


def normalize_host(host: str) -> str:
    """``Nova.Localhost:8000`` → ``nova.localhost``."""
    return host.split(":", 1)[0].strip().lower().rstrip(".")


def tenant_for_host(host: str) -> Tenant | None:
    """The tenant (brand or public) serving ``host``; None for an unknown host or the template."""
    domain = (
        Domain.objects.select_related("tenant")
        .filter(domain=normalize_host(host))
        .exclude(tenant__kind=TenantKind.TEMPLATE)
        .first()
    )
    return domain.tenant if domain else None


def brand_list() -> QuerySet[Tenant]:
    return Tenant.objects.filter(kind=TenantKind.BRAND).order_by("id")


def brand_domains(tenant: Tenant) -> list[str]:
    return list(
        Domain.objects.filter(tenant=tenant).order_by("-is_primary", "id").values_list("domain", flat=True)
    )


def brand_primary_domain(tenant: Tenant) -> str:
    """Uses ``tenant.domains`` so that a prefetched list costs no query."""
    domains = sorted(tenant.domains.all(), key=lambda domain: (not domain.is_primary, domain.pk))
    return domains[0].domain if domains else ""


def public_base_url(domain: str) -> str:
    """``<scheme>://<domain>[:port]``, scheme and port from the settings (``PUBLIC_URL``, or
    ``PORT`` in development): the one place where the product's absolute URLs are built."""
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    return f"{settings.PUBLIC_URL_SCHEME}://{domain}{port}"


def brand_base_url(tenant: Tenant) -> str:
    """How links, QR codes, emails, the sitemap, image and Stripe return URLs reach a brand."""
    return public_base_url(brand_primary_domain(tenant))


def brand_snapshot(tenant: Tenant) -> dict[str, Any]:
    """Everything a client shows of a brand, as plain data: safe to publish over the channel
    layer and to render in async code without touching the database."""
    return {
        "id": tenant.pk,
        "name": tenant.name,
        "subdomain": tenant.subdomain or "",
        "domain": brand_primary_domain(tenant),
        "currency": tenant.currency,
        "language": tenant.language,
        "merchant_signup": tenant.merchant_signup,
        "two_factor_required_roles": list(tenant.two_factor_required_roles or []),
        "theme": brand_theme(tenant),
        "theme_overrides": tenant.theme_overrides or {},
        "provisioning_ms": tenant.provisioning_ms,
        "created_at": tenant.created_at.isoformat(),
        "updated_at": tenant.updated_at.isoformat(),
    }


def ip_block_list(*, tenant: Tenant | None = None) -> QuerySet[IpBlock]:
    """Blocks, newest first; of one brand when ``tenant`` is given."""
    blocks = IpBlock.objects.select_related("tenant").order_by("-id")
    return blocks.filter(tenant=tenant) if tenant is not None else blocks


def custom_domain_list(tenant: Tenant) -> list[CustomDomain]:
    """The brand's custom domains (claims, whatever their status), oldest first: one query."""
    return list(CustomDomain.objects.filter(tenant=tenant).order_by("id"))


def brand_subdomain_host(tenant: Tenant) -> str:
    """The brand's platform host, ``<subdomain>.<root domain>``: always served, the primary
    unless a custom domain is made primary."""
    return f"{tenant.subdomain}.{settings.ROOT_DOMAIN}"


def brand_canonical_host(tenant: Tenant) -> str:
    """The brand's primary host, read fresh (one indexed query): the canonical-host redirect
    must follow a change at once, in every process."""
    return (
        Domain.objects.filter(tenant=tenant, is_primary=True).values_list("domain", flat=True).first() or ""
    )


def verification_token_answered(host: str, token: str) -> bool:
    """Whether the platform answers ``/.well-known/affiliate-verify/<token>`` on ``host``.

    Only for the one unverified claim on a host that is not served yet. When several brands
    claim the same host, the platform cannot tell whose the domain owner meant by pointing it
    here, so it answers none of them: each must prove control with the DNS TXT record.
    """
    if (
        not host
        or not token
        or not token.isascii()
        or len(token) > 64
        or Domain.objects.filter(domain=host).exists()
    ):
        return False
    claims = list(CustomDomain.objects.filter(domain=host).values_list("token", "status")[:2])
    if len(claims) != 1:
        return False
    [(claimed_token, status)] = claims
    return status != CustomDomainStatus.VERIFIED and secrets.compare_digest(claimed_token, token)
