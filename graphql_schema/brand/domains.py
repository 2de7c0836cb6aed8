"""Custom domains of a brand (brand admins): list, add, verify now, make primary, remove.

Thin: ``tenants.custom_domains`` does the writes, ``tenants.selectors`` the reads. Every
mutation answers the brand's refreshed domain settings, so a client re-renders from one reply.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from enum import Enum
from typing import Any

import strawberry
from django.conf import settings

from graphql_schema.accounts.two_factor import fresh_two_factor_required
from graphql_schema.context import Info
from graphql_schema.errors import UserError, handle_user_errors, keep_on_error
from graphql_schema.permissions import IsBrandAdmin
from tenants import custom_domains as services
from tenants.domain_checks import http_token_url, txt_record_name
from tenants.models import CustomDomain as CustomDomainModel
from tenants.models import Tenant
from tenants.selectors import brand_canonical_host, brand_subdomain_host, custom_domain_list, public_base_url


@strawberry.enum(description="Where a custom domain stands.")
class CustomDomainStatus(Enum):
    PENDING = "pending"
    VERIFIED = "verified"
    FAILED = "failed"


@strawberry.type(description="A DNS record to create at the domain's DNS provider.")
class DnsRecord:
    type: str = strawberry.field(description="TXT or CNAME.")
    name: str = strawberry.field(
        description="The record's full name, e.g. _affiliate-verify.partners.example.com."
    )
    value: str


@strawberry.type(description="A host name of the brand's own, served once verified.")
class CustomDomain:
    id: strawberry.ID
    domain: str = strawberry.field(description="Lowercase; international names in their xn-- form.")
    url: str = strawberry.field(
        description="The brand's address on this domain, e.g. https://partners.example.com."
    )
    status: CustomDomainStatus
    is_primary: bool = strawberry.field(
        description="Every link, email, QR code and page address of the brand uses this host."
    )
    verification_record: DnsRecord = strawberry.field(
        description="Create this TXT record to prove the domain is yours."
    )
    routing_record: DnsRecord = strawberry.field(
        description="Point the domain at the platform with this record."
    )
    http_verification_url: str = strawberry.field(
        description="Alternative proof: once the domain points at the platform, this URL answers the token."
    )
    verified_method: str | None = strawberry.field(description="dns or http, once verified.")
    last_checked_at: dt.datetime | None
    last_check_code: str | None = strawberry.field(description="Why the last check failed, as a code.")
    last_check_message: str | None = strawberry.field(description="Why the last check failed, as a sentence.")
    verified_at: dt.datetime | None
    expires_at: dt.datetime = strawberry.field(
        description="A pending domain not verified by then fails; verifying again restarts the period."
    )
    created_at: dt.datetime

    @classmethod
    def from_model(cls, claim: CustomDomainModel, *, routing_target: str, primary: str) -> CustomDomain:
        verified = claim.status == CustomDomainStatus.VERIFIED.value
        return cls(
            id=strawberry.ID(str(claim.pk)),
            domain=claim.domain,
            url=public_base_url(claim.domain),
            status=CustomDomainStatus(claim.status),
            is_primary=verified and claim.domain == primary,
            verification_record=DnsRecord(type="TXT", name=txt_record_name(claim.domain), value=claim.token),
            routing_record=DnsRecord(type="CNAME", name=claim.domain, value=routing_target),
            http_verification_url=http_token_url(claim.domain, claim.token),
            verified_method=claim.verified_method or None,
            last_checked_at=claim.last_checked_at,
            last_check_code=claim.last_check_code or None,
            last_check_message=claim.last_check_message or None,
            verified_at=claim.verified_at,
            expires_at=claim.expires_at,
            created_at=claim.created_at,
        )


@strawberry.type(description="The brand's hosts: its platform subdomain and its custom domains.")
class BrandDomains:
    platform_domain: str = strawberry.field(description="<subdomain>.<platform domain>: always served.")
    primary_domain: str = strawberry.field(description="The brand's canonical host.")
    max_custom_domains: int
    custom_domains: list[CustomDomain]


def brand_domains_of(tenant: Tenant) -> BrandDomains:
    platform_domain = brand_subdomain_host(tenant)
    primary = brand_canonical_host(tenant) or platform_domain
    target = settings.CUSTOM_DOMAIN_CNAME_TARGET or platform_domain
    return BrandDomains(
        platform_domain=platform_domain,
        primary_domain=primary,
        max_custom_domains=settings.CUSTOM_DOMAINS_MAX_PER_BRAND,
        custom_domains=[
            CustomDomain.from_model(claim, routing_target=target, primary=primary)
            for claim in custom_domain_list(tenant)
        ],
    )


@strawberry.type
class CustomDomainPayload:
    custom_domain: CustomDomain | None = strawberry.field(
        description="The domain acted on (null when it was removed or on an error)."
    )
    domains: BrandDomains
    errors: list[UserError]


@strawberry.input
class CustomDomainAddInput:
    domain: str = strawberry.field(description="e.g. partners.example.com")


@strawberry.type
class CustomDomainQuery:
    @strawberry.field(permission_classes=[IsBrandAdmin], description="The brand's hosts (brand admins).")
    def brand_domains(self, info: Info) -> BrandDomains:
        return brand_domains_of(info.context.tenant)


def _payload(info: Info, action: Callable[[], CustomDomainModel | None]) -> CustomDomainPayload:
    tenant = info.context.tenant
    claim = action()
    domains = brand_domains_of(tenant)
    current = next((item for item in domains.custom_domains if claim and item.id == str(claim.pk)), None)
    return CustomDomainPayload(custom_domain=current, domains=domains, errors=[])


@strawberry.type
class CustomDomainMutation:
    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Claim a custom domain; it is served once verified (DNS TXT record or HTTP token).",
    )
    @handle_user_errors
    def custom_domain_add(self, info: Info, input: CustomDomainAddInput) -> CustomDomainPayload:
        context: Any = info.context
        keep_on_error(domains=lambda: brand_domains_of(context.tenant))
        return _payload(
            info,
            lambda: services.custom_domain_add(
                actor=context.user, tenant=context.tenant, domain=input.domain
            ),
        )

    @strawberry.mutation(permission_classes=[IsBrandAdmin], description="Check a pending domain now.")
    @handle_user_errors
    def custom_domain_verify(self, info: Info, id: strawberry.ID) -> CustomDomainPayload:
        context: Any = info.context
        keep_on_error(domains=lambda: brand_domains_of(context.tenant))
        return _payload(
            info,
            lambda: services.custom_domain_verify(
                actor=context.user, tenant=context.tenant, custom_domain_id=id
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description=(
            "Make a verified domain the brand's canonical host (links, emails, pages). Needs a fresh "
            "two-factor code when the admin has two-factor on (FRESH_TWO_FACTOR_REQUIRED)."
        ),
    )
    @handle_user_errors
    def custom_domain_make_primary(self, info: Info, id: strawberry.ID) -> CustomDomainPayload:
        context: Any = info.context
        keep_on_error(domains=lambda: brand_domains_of(context.tenant))
        # Every login link, invitation and password reset emailed afterwards points at this host:
        # as sensitive as a payout detail, so a stolen session alone cannot switch it.
        fresh_two_factor_required(info)
        return _payload(
            info,
            lambda: services.custom_domain_make_primary(
                actor=context.user, tenant=context.tenant, custom_domain_id=id
            ),
        )

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Make the platform subdomain the brand's canonical host again.",
    )
    @handle_user_errors
    def brand_primary_domain_reset(self, info: Info) -> CustomDomainPayload:
        context: Any = info.context
        keep_on_error(domains=lambda: brand_domains_of(context.tenant))

        def reset() -> None:
            services.brand_primary_domain_reset(actor=context.user, tenant=context.tenant)

        return _payload(info, reset)

    @strawberry.mutation(
        permission_classes=[IsBrandAdmin],
        description="Remove a custom domain; if it was primary, the subdomain is primary again.",
    )
    @handle_user_errors
    def custom_domain_remove(self, info: Info, id: strawberry.ID) -> CustomDomainPayload:
        context: Any = info.context
        keep_on_error(domains=lambda: brand_domains_of(context.tenant))

        def remove() -> None:
            services.custom_domain_remove(actor=context.user, tenant=context.tenant, custom_domain_id=id)

        return _payload(info, remove)
