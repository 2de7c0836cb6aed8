"""Reads of stored clicks for other apps."""

from __future__ import annotations

import uuid

from affiliation.clicks import ClickFacts
from tracking.models import Click


def click_facts_of(click_id: uuid.UUID) -> ClickFacts | None:
    """The click with its link, program and affiliate (and tier) in one query."""
    click = Click.objects.select_related("link__program", "link__affiliate__tier").filter(pk=click_id).first()
    return ClickFacts(link=click.link, created_at=click.created_at) if click is not None else None
