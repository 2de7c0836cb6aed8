"""Where a sale's click comes from. Clicks are the click lane's (``tracking``, above this app:
its ``Click`` points at a ``Link``); attribution asks for one by id through the source the lane
registers at start-up, as offers are resolved in ``affiliation.offers``. The engine never
imports the lane.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from affiliation.models import Link


@dataclass(frozen=True)
class ClickFacts:
    """What attribution needs of a click: its link (with program and affiliate loaded) and when."""

    link: Link
    created_at: dt.datetime


ClickSource = Callable[[uuid.UUID], ClickFacts | None]

_source: list[ClickSource] = []


def click_source_register(source: ClickSource) -> None:
    """The click lane's lookup of a stored click (one per process; a second replaces it)."""
    _source[:] = [source]


def click_facts(click_id: uuid.UUID) -> ClickFacts | None:
    """The stored click ``click_id`` (None while the drain has not written it yet)."""
    if not _source:
        raise RuntimeError("no click source registered: is the tracking app installed?")
    return _source[0](click_id)
