"""The fraud rules: one declaration each, with its defaults. A brand admin overrides them per
program (``FraudRuleSetting``): on/off, threshold, action (flag | hold | reject).

Defaults follow what Everflow, Dub and FirstPromoter do where the issue is silent (README "Fraud
rules"): a click-to-conversion time under 15 s is click injection; more than 30 % of an
affiliate's conversions over 24 h after their click is click spamming; buying through one's own
link is a self-referral; refund rate is FirstPromoter's flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

FLAG, HOLD, REJECT = "flag", "hold", "reject"
RULE_ACTIONS = (FLAG, HOLD, REJECT)

# What a rule looks at.
CONVERSION, CLICK, SIGNUP, WITHDRAWAL = "conversion", "click", "signup", "withdrawal"


@dataclass(frozen=True)
class RuleSpec:
    code: str
    target: str
    description: str
    threshold: Decimal | None  # None: the rule has no threshold
    unit: str  # what the threshold counts ("" without one)
    action: str
    enabled: bool = True
    weight: int = 50  # its share of a case's score (0..100)
    minimum: Decimal = Decimal(0)
    maximum: Decimal = Decimal(1_000_000)


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "click_injection",
        CONVERSION,
        "A sale recorded fewer than N seconds after its click (click injection).",
        Decimal(15),
        "seconds",
        HOLD,
        weight=70,
        maximum=Decimal(86_400),
    ),
    RuleSpec(
        "click_spamming",
        CONVERSION,
        "More than N % of the affiliate's sales of the last 30 days came over 24 h after their"
        " click (click spamming; counted from 10 sales).",
        Decimal(30),
        "percent",
        FLAG,
        weight=40,
        maximum=Decimal(100),
    ),
    RuleSpec(
        "same_network",
        CONVERSION,
        "The buyer uses the network (and device) the affiliate signs in from.",
        None,
        "",
        HOLD,
        weight=60,
    ),
    RuleSpec(
        "self_purchase",
        CONVERSION,
        "The buyer's email is the affiliate's own, or their PayPal payout email.",
        None,
        "",
        REJECT,
        weight=90,
    ),
    RuleSpec(
        "conversion_velocity",
        CONVERSION,
        "More than N sales by one affiliate in an hour.",
        Decimal(20),
        "per hour",
        FLAG,
        weight=40,
        minimum=Decimal(1),
    ),
    RuleSpec(
        "refund_rate",
        CONVERSION,
        "More than N % of the affiliate's sales of the last 90 days were refunded or charged back"
        " (counted from 10 sales).",
        Decimal(20),
        "percent",
        HOLD,
        weight=50,
        maximum=Decimal(100),
    ),
    RuleSpec(
        "country_not_allowed",
        CONVERSION,
        "A click or sale from a country outside the program's allowed list (off while the list is empty).",
        None,
        "",
        HOLD,
        weight=50,
    ),
    RuleSpec(
        "click_velocity",
        CLICK,
        "More than N clicks on one affiliate's links in an hour.",
        Decimal(1000),
        "per hour",
        FLAG,
        weight=30,
        minimum=Decimal(1),
    ),
    RuleSpec(
        "duplicate_payout_details",
        WITHDRAWAL,
        "A withdrawal to an IBAN or PayPal email another affiliate of the brand uses.",
        None,
        "",
        FLAG,
        weight=60,
    ),
    RuleSpec(
        "disposable_email",
        SIGNUP,
        "An affiliate signs up with a disposable email domain.",
        None,
        "",
        HOLD,
        weight=40,
    ),
    RuleSpec(
        "signup_flooding",
        SIGNUP,
        "More than N affiliates join the program from one network (/24) in an hour.",
        Decimal(5),
        "per hour",
        HOLD,
        weight=50,
        minimum=Decimal(1),
    ),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}
