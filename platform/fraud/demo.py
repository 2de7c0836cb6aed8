"""Demo data of fraud for `make run`: one open case in the review queue, opened by the rules
themselves (a signup with a disposable email address: the membership waits for the review)."""

from __future__ import annotations

from accounts.models import Role
from accounts.selectors import user_by_email
from accounts.services import user_create
from affiliation.models import Affiliate, Program
from affiliation.services import affiliate_join
from fraud.models import FraudCase


def demo_fraud_case_ensure(*, program: Program, subdomain: str) -> FraudCase | None:
    """An affiliate joins ``program`` with a throwaway address; the ``disposable_email`` rule
    opens the case (and holds the membership). Idempotent: the same signup, once."""
    email = f"quick-cash.{subdomain}@yopmail.com"
    user = user_by_email(email) or user_create(
        email=email, password=None, role=Role.AFFILIATE, full_name="Quick Cash"
    )
    if not Affiliate.objects.filter(user=user, program=program).exists():
        affiliate_join(user=user, program=program)
    return FraudCase.objects.filter(affiliate__user=user, affiliate__program=program).first()
