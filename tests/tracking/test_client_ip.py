"""Unique clicks are counted by the real client (issue 9, finding B): ``X-Forwarded-For``
is believed only from a trusted proxy, and then only the hops our proxies appended."""

from __future__ import annotations

import httpx
import pytest
from django_tenants.utils import tenant_context

from tests.tracking.conftest import brand_links
from tracking.ingest import ClickDrain
from tracking.models import Click

pytestmark = pytest.mark.live

PEER = "198.51.100.7"  # the lane client's address (tests.tracking.conftest)


def _clicks(brand, lane, forwarded: list[str]) -> tuple[int, int]:
    for value in forwarded:
        assert (
            lane.get(brand.host, f"/r/{brand.link.code}", headers={"x-forwarded-for": value}).status_code
            == 302
        )
    return _counted(brand)


def _counted(brand) -> tuple[int, int]:
    with tenant_context(brand.tenant):
        clicks = Click.objects.filter(link=brand.link)
        return clicks.count(), clicks.filter(is_unique=True).count()


def test_a_forwarded_for_from_an_untrusted_peer_is_ignored(brands, lane_factory, drain):
    brand, _ = brands
    lane = lane_factory(client_ip_header=b"x-forwarded-for", trusted_proxies=())

    _clicks(brand, lane, [f"203.0.113.{n}" for n in range(5)])
    drain.drain_available()

    assert _counted(brand) == (5, 1)  # one visitor: the peer


def test_a_trusted_proxy_names_the_client_and_what_the_client_forged_is_ignored(brands, lane_factory, drain):
    brand, _ = brands
    lane = lane_factory(client_ip_header=b"x-forwarded-for", trusted_proxies=(PEER, "10.0.0.0/8"))

    # Three clients through two of our proxies; then one client inventing addresses at the left.
    _clicks(brand, lane, [f"203.0.113.{n}, 10.0.0.1" for n in range(3)])
    _clicks(brand, lane, [f"192.0.2.{n}, 203.0.113.99, 10.0.0.1" for n in range(4)])
    drain.drain_available()

    assert _counted(brand) == (7, 4)


def test_the_live_server_counts_clicks_with_forged_forwarded_for_by_the_real_peer(
    live_server_port, tracking_tenants, committed, tmp_path
):
    """uvicorn must not rewrite the client from X-Forwarded-For (it trusts 127.0.0.1 by
    default): the project resolves the client itself, from TRUSTED_PROXIES (none here)."""
    brand = brand_links(tracking_tenants[0])
    with httpx.Client(
        base_url=f"http://127.0.0.1:{live_server_port}", headers={"Host": brand.host}, timeout=10
    ) as http:
        for n in range(6):
            response = http.get(
                f"/r/{brand.link.code}",
                headers={
                    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0",
                    "X-Forwarded-For": f"203.0.113.{n}",
                },
            )
            assert response.status_code == 302
    drain = ClickDrain(consumer="client-ip-test", fallback_dir=tmp_path)
    try:
        drain.drain_available()
    finally:
        drain.close()

    assert _counted(brand) == (6, 1)
