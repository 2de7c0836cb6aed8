from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role
from accounts.selectors import user_by_email
from accounts.services import user_create
from affiliation.demo import demo_program_ensure, demo_recruit_login
from billing.demo import demo_billing_ensure
from fraud.demo import demo_fraud_case_ensure
from kyc.demo import demo_kyc_submission_ensure
from marketplace.demo import demo_customer_order_ensure, demo_marketplace_ensure
from payouts.demo import demo_payout_run_ensure, demo_withdrawal_ensure
from tenants.models import Tenant
from tenants.selectors import brand_base_url, public_base_url
from tenants.services import brand_create, public_tenant_ensure, template_tenant_ensure

DEMO_BRANDS = [
    {"name": "Nova Partners", "subdomain": "nova", "theme": "vivid", "currency": "EUR", "language": "en"},
    {"name": "Aurum Club", "subdomain": "aurum", "theme": "aurum", "currency": "MAD", "language": "fr"},
]
DEMO_ROLES = [Role.BRAND_ADMIN, Role.MERCHANT, Role.AFFILIATE, Role.CUSTOMER]


def _demo_password(subdomain: str, role: str) -> str:
    return f"demo-{subdomain}-{role.replace('_', '-')}"


class Command(BaseCommand):
    help = "Create the public tenant, the template, the demo brands and their users. Idempotent."

    def handle(self, *args: Any, **options: Any) -> None:
        public_tenant_ensure()
        template_tenant_ensure()
        lines = []
        with schema_context("public"):
            operator_email = f"operator@{settings.ROOT_DOMAIN}.test"
            if user_by_email(operator_email) is None:
                user_create(
                    email=operator_email, password="demo-operator", role=Role.OPERATOR, full_name="Operator"
                )
                # The demo signs in with the printed passwords: two-factor stays optional (the
                # default makes it mandatory for operators and brand admins). Set once, at
                # creation, so a choice made later in the demo is kept.
                Tenant.objects.filter(schema_name="public").update(two_factor_required_roles=[])
        root_url = public_base_url(settings.ROOT_DOMAIN)
        lines.append(f"  operator console  {root_url}/  (API: {root_url}/graphql/)")
        lines.append(f"    {Role.OPERATOR.label:<12} {operator_email} / demo-operator")
        for spec in DEMO_BRANDS:
            tenant = Tenant.objects.filter(subdomain=spec["subdomain"]).first()
            if tenant is None:
                tenant = brand_create(actor=None, **spec)
                tenant.two_factor_required_roles = []  # optional in the demo (see above)
                tenant.save(update_fields=["two_factor_required_roles"])
            brand_url = brand_base_url(tenant)
            lines.append(f"  {tenant.name:<17} {brand_url}/  (API: {brand_url}/graphql/)")
            with tenant_context(tenant):
                users = {}
                for role in DEMO_ROLES:
                    email = f"{role.value.replace('_', '-')}@{spec['subdomain']}.test"
                    password = _demo_password(spec["subdomain"], role.value)
                    users[role] = user_by_email(email) or user_create(
                        email=email, password=password, role=role, full_name=f"Demo {role.label}"
                    )
                    lines.append(f"    {role.label:<12} {email} / {password}")
                recruit_email, recruit_password = demo_recruit_login(spec["subdomain"])
                lines.append(
                    f"    {'Recruit':<12} {recruit_email} / {recruit_password}  (referred by the affiliate)"
                )
                program = demo_program_ensure(
                    brand_name=tenant.name,
                    brand_url=brand_url,
                    subdomain=spec["subdomain"],
                    currency=tenant.currency,
                    affiliate_user=users[Role.AFFILIATE],
                    language=tenant.language,
                )
                demo_withdrawal_ensure(affiliate_user=users[Role.AFFILIATE], program=program)
                # The money-out pages: a payout run paid to the recruit, the recruit's identity
                # verification to review, a signup held by the fraud rules.
                recruit = user_by_email(recruit_email)
                if recruit is not None:
                    demo_payout_run_ensure(payee=recruit, program=program, admin=users[Role.BRAND_ADMIN])
                    demo_kyc_submission_ensure(user=recruit, french=tenant.language == "fr")
                demo_fraud_case_ensure(program=program, subdomain=spec["subdomain"])
                demo_billing_ensure(merchant=users[Role.MERCHANT], brand_admin=users[Role.BRAND_ADMIN])
                demo_marketplace_ensure(
                    merchant=users[Role.MERCHANT],
                    affiliate=users[Role.AFFILIATE],
                    currency=tenant.currency,
                    language=tenant.language,
                )
                demo_customer_order_ensure(customer=users[Role.CUSTOMER])
        lines.append("  Two-factor authentication is optional in the demo brands (brand settings).")
        self.stdout.write("Demo brands and users:\n" + "\n".join(lines))
