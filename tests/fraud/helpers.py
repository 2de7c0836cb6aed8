"""Builders of the fraud tests: programs, affiliates, sales with clicks of a chosen age."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

from accounts.models import Role, UserSession
from affiliation.models import Affiliate, Program
from affiliation.services import conversion_record
from affiliation.services.conversions import ConversionResult
from fraud.models import FraudCase
from fraud.services import RuleInput, rule_settings_set
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program

_orders = itertools.count(1)


def program(**fields: Any) -> Program:
    fields.setdefault("cascade_rates", [])
    fields.setdefault("withdrawal_methods", ["paypal", "bank_transfer"])
    return make_program(**fields)


def sale(
    affiliate: Affiliate,
    *,
    click_age: dt.timedelta = dt.timedelta(minutes=5),
    amount: str = "100.00",
    country: str = "",
    **kwargs: Any,
) -> ConversionResult:
    click = make_click(affiliate, age=click_age)
    if country:
        click.country = country
        click.save(update_fields=["country"])
    return conversion_record(
        source="postback",
        order_id=f"order-{next(_orders)}",
        amount=amount,
        currency=affiliate.program.currency,
        click_id=str(click.id),
        **kwargs,
    )


def configure(program: Program, code: str, **fields: Any) -> None:
    from fraud.rules import RULES_BY_CODE

    spec = RULES_BY_CODE[code]
    rule_settings_set(
        actor=None,  # type: ignore[arg-type]
        program=program,
        rules=[
            RuleInput(
                code=code,
                enabled=fields.get("enabled", True),
                action=fields.get("action", spec.action),
                threshold=fields.get("threshold", spec.threshold),
                countries=fields.get("countries"),
            )
        ],
    )


def session(user: Any, network: str, *, browser: str = "Chrome", os: str = "Windows") -> UserSession:
    return UserSession.objects.create(
        user=user,
        session_key_hash=f"{user.pk}-{network}-{browser}",
        ip_network=network,
        browser=browser,
        os=os,
    )


def cases(affiliate: Affiliate) -> list[FraudCase]:
    return list(FraudCase.objects.filter(affiliate=affiliate).order_by("pk"))


def codes(affiliate: Affiliate) -> list[str]:
    return sorted(code for case in cases(affiliate) for code in case.rule_codes)


__all__ = ["Decimal", "Role", "make_affiliate", "make_user"]
