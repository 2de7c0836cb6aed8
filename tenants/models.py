from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin


class TenantKind(models.TextChoices):
    PUBLIC = "public", "Public (operator console)"
    TEMPLATE = "template", "Template (cloned into new brands)"
    BRAND = "brand", "Brand"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    FRENCH = "fr", "Français"


class MerchantSignup(models.TextChoices):
    """Whether people may sign up as merchants of a brand on their own."""

    OPEN = "open", "Open: a merchant signs up and sells at once"
    APPROVAL = "approval", "By approval: a brand admin approves each new merchant"
    INVITE_ONLY = "invite_only", "Invite only: merchants cannot sign up; a brand admin creates them"


def default_two_factor_required_roles() -> list[str]:
    """Two-factor authentication is mandatory for brand admins and operators unless a brand
    admin chooses otherwise (operators: the public tenant's row)."""
    return ["brand_admin", "operator"]


class Tenant(TenantMixin):
    """A brand: its own subdomain, theme and PostgreSQL schema.

    Two technical rows share the table: the public tenant (the root domain) and the template
    whose migrated, empty schema new brands are cloned from.
    """

    kind = models.CharField(max_length=10, choices=TenantKind.choices, default=TenantKind.BRAND)
    name = models.CharField(max_length=120)
    subdomain = models.CharField(max_length=63, unique=True, null=True, blank=True)
    theme = models.CharField(max_length=40, default="default")
    # A validated subset of the theme's tokens (themes.override_problems), merged at read time.
    theme_overrides = models.JSONField(default=dict, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.ENGLISH)
    merchant_signup = models.CharField(
        max_length=12, choices=MerchantSignup.choices, default=MerchantSignup.APPROVAL
    )
    # Roles that must sign in with two-factor authentication (accounts.two_factor).
    two_factor_required_roles = ArrayField(
        models.CharField(max_length=20), default=default_two_factor_required_roles, blank=True
    )
    # GraphQL requests a minute (README "API rate limits"): per API token, per signed-in user
    # (session), per anonymous client IP; buckets are per brand. Empty: the platform's default
    # (settings.API_RATE_LIMIT_PER_TOKEN / _PER_USER / _PER_IP).
    api_rate_limit_per_token = models.PositiveIntegerField(null=True, blank=True)
    api_rate_limit_per_user = models.PositiveIntegerField(null=True, blank=True)
    api_rate_limit_per_ip = models.PositiveIntegerField(null=True, blank=True)
    provisioning_ms = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Schemas are created by tenants.services (a clone of the template), never as a side
    # effect of save().
    auto_create_schema = False

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    """A host name served by a tenant: ``<subdomain>.<root domain>``, or a brand's custom domain
    once verified (``CustomDomain``). Every row here is served, routed by the click lane and
    may get a certificate (tenants.tls): a host nobody proved is never a row."""

    def __str__(self) -> str:
        return self.domain


class StripeObjectRoute(models.Model):
    """Which brand a Stripe object (customer, subscription, checkout session) belongs to.

    The platform has one Stripe account and one webhook endpoint on the root domain; an event
    is routed to its brand's schema by the id of the object it is about.
    """

    stripe_id = models.CharField(max_length=80, unique=True)
    object_type = models.CharField(max_length=40)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="stripe_routes")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.stripe_id} → {self.tenant_id}"


class IpBlock(models.Model):
    """An address or network (CIDR) an operator refuses on one brand's hosts: HTTP answers 403
    before anything else runs, and the click lane refuses its clicks (tenants.ipblocks)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ip_blocks")
    # Normalized (``ipaddress.ip_network(..., strict=False)``): ``10.0.0.0/8``, ``203.0.113.7/32``.
    network = models.CharField(max_length=50)
    note = models.CharField(max_length=200, blank=True)
    created_by_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["tenant", "network"], name="ipblock_unique_per_brand")]

    def __str__(self) -> str:
        return f"{self.network} on {self.tenant_id}"


class CustomDomainStatus(models.TextChoices):
    PENDING = "pending", "Pending: waiting for the DNS record or the HTTP token"
    VERIFIED = "verified", "Verified: served, a Domain row of the brand"
    FAILED = "failed", "Failed: not verified in time; checks stopped until the admin retries"


class CustomDomainMethod(models.TextChoices):
    DNS = "dns", "DNS TXT record"
    HTTP = "http", "HTTP token"


class CustomDomain(models.Model):
    """A host name a brand admin claims for their brand (tenants.custom_domains).

    A claim is not served: it becomes a ``Domain`` row only once verified, by a TXT record
    ``_affiliate-verify.<domain>`` holding ``token``, or by the platform answering
    ``http://<domain>/.well-known/affiliate-verify/<token>`` itself (the domain points here).
    Several brands may hold pending claims on one host (a claim reveals nothing about another
    brand's); the first to verify gets the ``Domain`` row, whose unique host decides the race.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="custom_domains")
    # Lowercase, IDNA-encoded (``xn--…`` labels), no trailing dot.
    domain = models.CharField(max_length=253)
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(
        max_length=10, choices=CustomDomainStatus.choices, default=CustomDomainStatus.PENDING
    )
    verified_method = models.CharField(max_length=4, choices=CustomDomainMethod.choices, blank=True)
    # The last check's outcome: a code of tenants.error_codes.CustomDomainErrorCode and a sentence.
    last_check_code = models.CharField(max_length=40, blank=True)
    last_check_message = models.CharField(max_length=500, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    # Checks stop (status failed) when a pending claim reaches this; "verify now" restarts them.
    expires_at = models.DateTimeField()
    created_by_email = models.CharField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "domain"], name="custom_domain_unique_per_brand")
        ]
        indexes = [models.Index(fields=["status", "last_checked_at"], name="custom_domain_due")]

    def __str__(self) -> str:
        return f"{self.domain} ({self.status}) of {self.tenant_id}"
