"""The lane's link routes follow the affiliate engine through its events (tracking.subscribers):
affiliation emits, the lane republishes after commit; the other brand's routes are untouched."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from affiliation.services import link_archive, link_create
from core.models import OutboxEvent

pytestmark = pytest.mark.live


def test_a_created_then_archived_link_is_routed_then_answers_404_once_its_events_are_dispatched(
    brands, lane_factory
):
    brand, other = brands

    def status(host: str, code: str) -> int:
        return lane_factory(link_cache_seconds=0).get(host, f"/r/{code}").status_code

    with tenant_context(brand.tenant):
        link = link_create(affiliate=brand.affiliate, target_url=brand.link.target_url)
    created = status(brand.host, link.code)
    with tenant_context(brand.tenant):
        link_archive(actor=None, link=link)
        events = OutboxEvent.objects.filter(
            name__in=["link.created", "link.archived"], payload__link_id=link.pk
        )
        assert sorted(event.name for event in events) == ["link.archived", "link.created"]
        assert all(event.dispatched_at is not None and not event.pending_handlers for event in events)
    archived = status(brand.host, link.code)

    assert (created, archived) == (302, 404)
    assert status(other.host, other.link.code) == 302  # the other brand's link still redirects
    assert status(other.host, link.code) == 404  # and the code means nothing on its host
