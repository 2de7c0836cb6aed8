"""Demo data of the affiliate engine for `make run`: a program with the reference rules, an
affiliate with a referred recruit, a link, a coupon and a few sales, some past their hold (an
available balance; the withdrawal waiting in the brand admin's queue is ``payouts.demo``'s).
Idempotent; texts in the brand's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import urlparse

from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import user_by_email
from accounts.services import user_create
from affiliation.models import Affiliate, Link, Program
from affiliation.services import (
    affiliate_join,
    commissions_release_due,
    conversion_record,
    conversion_refund,
    coupon_create,
    link_create,
    program_create,
)

DEMO_PROGRAM_SLUG = "partners"


def demo_recruit_login(subdomain: str) -> tuple[str, str]:
    """Email and password of the affiliate the demo affiliate referred."""
    return f"recruit@{subdomain}.test", f"demo-{subdomain}-recruit"


def demo_program_ensure(
    *,
    brand_name: str,
    brand_url: str,
    subdomain: str,
    currency: str,
    affiliate_user: User,
    language: str = "en",
) -> Program:
    """Tiers 20/25/30 %, cascade 10 %/5 %, 30-day hold and cookie window, minimum withdrawal 10,
    PayPal and bank transfer: the rules of the reference programs."""
    program = Program.objects.filter(slug=DEMO_PROGRAM_SLUG).first()
    if program is None:
        program = _demo_program_create(
            brand_name=brand_name,
            brand_url=brand_url,
            subdomain=subdomain,
            currency=currency,
            affiliate_user=affiliate_user,
            french=language == "fr",
        )
    else:
        _demo_urls_follow(program, brand_url=brand_url)
    return program


def _demo_program_create(
    *, brand_name: str, brand_url: str, subdomain: str, currency: str, affiliate_user: User, french: bool
) -> Program:
    program = program_create(
        actor=None,
        name=f"Programme partenaires {brand_name}" if french else f"{brand_name} partner program",
        slug=DEMO_PROGRAM_SLUG,
        landing_url=f"{brand_url}/",
        currency=currency,
        description=(
            "Gagnez sur chaque vente que vous apportez, et sur celles des partenaires que vous invitez."
            if french
            else "Earn on every sale you refer, and on the sales of the partners you invite."
        ),
        cascade_rates=[Decimal(10), Decimal(5)],
        recurring_mode="months",
        recurring_months=12,
        allowed_domains=["shop.example.com"],
    )
    member = affiliate_join(user=affiliate_user, program=program)
    recruit_email, recruit_password = demo_recruit_login(subdomain)
    recruit_user = user_by_email(recruit_email) or user_create(
        email=recruit_email,
        password=recruit_password,
        role=Role.AFFILIATE,
        full_name="Demo Recruit",
    )
    recruit = affiliate_join(user=recruit_user, program=program, referral_code=member.referral_code)
    link_create(
        affiliate=member, title="Page d'accueil" if french else "Homepage", utm={"utm_source": "demo"}
    )
    _demo_sales(member, recruit, subdomain, currency)
    return program


def _demo_urls_follow(program: Program, *, brand_url: str) -> None:
    """A demo seeded by an earlier `make run` on another port (or scheme) points its landing page
    and the link targets on the brand's own host at the current ``brand_url``."""
    landing = urlparse(program.landing_url)
    current = urlparse(brand_url)
    old_base = f"{landing.scheme}://{landing.netloc}"
    if landing.hostname != current.hostname or old_base == brand_url:
        return
    Program.objects.filter(pk=program.pk).update(landing_url=f"{brand_url}/")
    Link.objects.filter(target_url__startswith=f"{old_base}/").update(
        target_url=Concat(Value(brand_url), Substr("target_url", len(old_base) + 1))
    )


def _demo_sales(member: Affiliate, recruit: Affiliate, subdomain: str, currency: str) -> None:
    member_coupon = coupon_create(actor=None, affiliate=member, code=f"{subdomain.upper()}10")
    recruit_coupon = coupon_create(actor=None, affiliate=recruit, code=f"{subdomain.upper()}FRIEND")
    now = timezone.now()
    long_ago = now - dt.timedelta(days=45)
    past_hold = [
        ("demo-1001", "120.00", member_coupon.code, long_ago),
        ("demo-1002", "80.00", member_coupon.code, long_ago),
        # The recruit's own earnings, past the hold: what the demo payout run pays them.
        ("demo-1000", "150.00", recruit_coupon.code, long_ago),
    ]
    recent = [
        ("demo-1003", "200.00", recruit_coupon.code, now - dt.timedelta(days=3)),
        ("demo-1004", "60.00", member_coupon.code, now - dt.timedelta(days=1)),
    ]
    for order_id, amount, coupon, occurred_at in past_hold:
        conversion_record(
            source="platform",
            order_id=order_id,
            amount=amount,
            currency=currency,
            coupon_code=coupon,
            occurred_at=occurred_at,
        )
    conversion_refund(source="platform", order_id="demo-1002", refund_id="demo-refund")
    # The hold runs from the moment a commission is recorded (now, for the demo), but in the
    # story the first sales are 45 days old: release them as the beat job would have, and only
    # them, so the affiliate has both an available and a pending balance.
    commissions_release_due(now=now + dt.timedelta(days=member.program.hold_days, minutes=5))
    for order_id, amount, coupon, occurred_at in recent:
        conversion_record(
            source="platform",
            order_id=order_id,
            amount=amount,
            currency=currency,
            coupon_code=coupon,
            occurred_at=occurred_at,
        )
