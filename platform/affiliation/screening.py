"""Screening a sale before it pays: the hook fraud rules plug into.

``conversion_record`` calls ``conversion_screen`` inside its transaction, once the conversion
row exists and before any commission is created. Screeners registered here (the ``fraud`` app,
above this one, registers its rules engine at start-up) return a ``Verdict``; the strictest one
wins:

- ``allow``: nothing to say;
- ``flag``: the commissions are created as usual, someone should look (a review case);
- ``hold``: the commissions are created HELD (their money stays pending, the release job skips
  them) and the conversion is ``under_review`` until a brand admin decides;
- ``reject``: the conversion is kept (status rejected, for the audit) and earns nothing.

The engine never imports the screeners; without any, every sale is allowed.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from affiliation.models import Affiliate, Conversion, Program

ALLOW, FLAG, HOLD, REJECT = "allow", "flag", "hold", "reject"
ACTIONS = (ALLOW, FLAG, HOLD, REJECT)  # from the mildest to the strictest
_SEVERITY = {action: index for index, action in enumerate(ACTIONS)}


@dataclass(frozen=True)
class ConversionFacts:
    """What a screener knows of a sale being recorded."""

    conversion: Conversion
    program: Program
    affiliate: Affiliate
    click_id: uuid.UUID | None = None
    click_at: dt.datetime | None = None
    buyer_email: str = ""
    buyer_ip: str = ""


@dataclass(frozen=True)
class Verdict:
    action: str = ALLOW
    codes: tuple[str, ...] = ()  # the rules that tripped
    score: int = 0  # 0..100, for the review queue's ordering
    facts: dict[str, object] = field(default_factory=dict)

    def stricter(self, other: Verdict) -> Verdict:
        """Both verdicts in one: the stricter action, every code, the higher score."""
        action = self.action if _SEVERITY[self.action] >= _SEVERITY[other.action] else other.action
        return Verdict(
            action=action,
            codes=self.codes + tuple(code for code in other.codes if code not in self.codes),
            score=max(self.score, other.score),
            facts={**self.facts, **other.facts},
        )


ConversionScreener = Callable[[ConversionFacts], Verdict]

_screeners: list[ConversionScreener] = []


def conversion_screener_register(screener: ConversionScreener) -> None:
    """Run ``screener`` on every sale recorded (idempotent)."""
    if screener not in _screeners:
        _screeners.append(screener)


def conversion_screener_unregister(screener: ConversionScreener) -> None:
    if screener in _screeners:
        _screeners.remove(screener)


def conversion_screen(facts: ConversionFacts) -> Verdict:
    """Every registered screener's verdict, combined (the strictest action wins)."""
    verdict = Verdict()
    for screener in _screeners:
        verdict = verdict.stricter(screener(facts))
    return verdict
