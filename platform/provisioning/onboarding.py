"""A brand someone can run: provisioning with its first admin invited and a default program
(``brand_onboard``), and the setup checklist its admins work through (``brand_setup_checklist``).

The operator console, ``brandCreate`` and ``manage.py brand_create`` all go through
``brand_onboard``; ``brand_create`` alone (the schema, the domain) stays for fixtures and the
demo, which add their own people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django_tenants.utils import tenant_context

from accounts.invitations import invitation_create, invitation_resend
from accounts.models import Invitation, Role, User
from accounts.services import _validated_email
from affiliation.models import Program
from affiliation.services import program_create
from core.audit import audit_log
from core.models import AuditEvent
from payments.models import BillingSettings
from tenants.models import Tenant
from tenants.selectors import brand_base_url
from tenants.services import brand_create

DEFAULT_PROGRAM_TEXT = {
    "en": (
        "{brand} partner program",
        "Share {brand} with your audience and earn a commission on every sale.",
    ),
    "fr": (
        "Programme partenaires {brand}",
        "Recommandez {brand} à votre audience et touchez une commission sur chaque vente.",
    ),
}
# Program fields whose change means the admin chose how affiliates are paid out.
PAYOUT_FIELDS = ("withdrawal_methods", "minimum_withdrawal", "hold_days")


@dataclass(frozen=True)
class Onboarded:
    tenant: Tenant
    program: Program
    invitation: Invitation | None


def brand_onboard(
    *,
    actor: Any,
    name: str,
    subdomain: str,
    theme: str,
    currency: str,
    language: str,
    admin_email: str,
    admin_name: str = "",
) -> Onboarded:
    """Provision a brand, give it a default program (its currency, its language) and invite its
    first brand admin (the email carries a link on the brand's host). All or nothing: a bad
    admin email is a field error (``adminEmail``) and creates no brand."""
    admin_email = admin_email.strip()
    try:
        admin_email = _validated_email(admin_email) if admin_email else ""
    except ValidationError as error:
        brand_errors: dict[str, Any] = {"admin_email": error.error_dict["email"]}
        try:  # report the brand's own mistakes too, in one answer
            brand_create_check(
                name=name, subdomain=subdomain, theme=theme, currency=currency, language=language
            )
        except ValidationError as others:
            brand_errors.update(others.error_dict)
        raise ValidationError(brand_errors) from error
    with transaction.atomic():
        tenant = brand_create(
            actor=actor, name=name, subdomain=subdomain, theme=theme, currency=currency, language=language
        )
        with tenant_context(tenant):
            title, description = DEFAULT_PROGRAM_TEXT.get(tenant.language, DEFAULT_PROGRAM_TEXT["en"])
            program = program_create(
                actor=None,
                name=title.format(brand=tenant.name)[:120],
                description=description.format(brand=tenant.name),
                landing_url=f"{brand_base_url(tenant)}/",
                currency=tenant.currency,
                slug="partners",
            )
            invitation = (
                invitation_create(actor=None, email=admin_email, role=Role.BRAND_ADMIN, full_name=admin_name)
                if admin_email
                else None
            )
    return Onboarded(tenant=tenant, program=program, invitation=invitation)


def brand_admin_invite(*, actor: Any, tenant: Tenant, email: str, full_name: str = "") -> Invitation:
    """An operator (re)invites a brand admin of ``tenant`` (the first one's link expired, or was
    lost): an open invitation of the address gets a new link (the old one stops working), else a
    new invitation is created. The invitation lives in the brand's schema (no inviter: operators
    are not users of the brand); the operator's action is audited in the public schema."""
    with tenant_context(tenant):
        address = _validated_email(email)
        open_invitation = Invitation.objects.filter(
            email=address, role=Role.BRAND_ADMIN, accepted_at__isnull=True, revoked_at__isnull=True
        ).first()
        if open_invitation is not None:
            invitation = invitation_resend(actor=None, invitation_id=open_invitation.pk)
        else:
            invitation = invitation_create(
                actor=None, email=address, role=Role.BRAND_ADMIN, full_name=full_name
            )
    audit_log(actor=actor, action="brand.admin_invited", target=tenant, email=address)
    return invitation


def brand_create_check(*, name: str, subdomain: str, theme: str, currency: str, language: str) -> None:
    from tenants.services import _validated
    from tenants.validators import (
        validate_currency,
        validate_language,
        validate_name,
        validate_subdomain,
        validate_theme,
    )

    _validated(
        name=(validate_name, name),
        subdomain=(validate_subdomain, subdomain),
        theme=(validate_theme, theme),
        currency=(validate_currency, currency),
        language=(validate_language, language),
    )


# --- the setup checklist (a read) ----------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str  # program, payout_methods, bank_details, theme, first_merchant
    done: bool
    path: str  # the web app page where it is done


def brand_setup_checklist(*, tenant: Tenant) -> list[ChecklistItem]:
    """What a new brand's admins still have to do, from the brand's real state (5 queries):

    - program: a person created or edited a program (the default one counts once edited);
    - payout_methods: a person chose the payout methods, minimum or hold of a program;
    - bank_details: the billing settings carry an account holder and an IBAN or RIB;
    - theme: a theme other than the default, or overrides of it;
    - first_merchant: an active merchant exists.
    """
    by_people = AuditEvent.objects.filter(actor_id__isnull=False)
    program_done = (
        Program.objects.filter(is_active=True).exists()
        and by_people.filter(action__in=["program.created", "program.updated", "program.tiers_set"]).exists()
    )
    payouts_done = by_people.filter(
        action="program.updated", data__changes__has_any_keys=PAYOUT_FIELDS
    ).exists()
    billing = BillingSettings.objects.first()
    bank_done = bool(billing and billing.bank_account_holder and (billing.bank_iban or billing.bank_rib))
    theme_done = tenant.theme != "default" or bool(tenant.theme_overrides)
    merchant_done = User.objects.filter(role=Role.MERCHANT, is_active=True).exists()
    return [
        ChecklistItem("program", program_done, "/admin/program"),
        ChecklistItem("payout_methods", payouts_done, "/admin/program"),
        ChecklistItem("bank_details", bank_done, "/admin/billing"),
        ChecklistItem("theme", theme_done, "/admin/theme"),
        ChecklistItem("first_merchant", merchant_done, "/admin/invitations"),
    ]
