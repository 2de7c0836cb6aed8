"""End to end: a real uvicorn serving ``config.asgi.application`` (the lane in front of Django)
and the drain's forever loop in a thread, as ``make run`` runs them."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from django.core.management import call_command
from django_tenants.utils import tenant_context

from tests.tracking.conftest import brand_links, click_id_of
from tracking import keys
from tracking.ingest import ClickDrain
from tracking.models import Click

pytestmark = pytest.mark.live


def test_the_project_serves_clicks_in_front_of_django_and_the_drain_loop_writes_them(
    live_server_port, tracking_tenants, committed, tmp_path
):
    """The live server's lane uses the run's key prefix (settings), removed at the end of the run."""
    brand = brand_links(tracking_tenants[0])
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{live_server_port}", headers={"Host": brand.host}, timeout=10
    )
    drain = ClickDrain(consumer="live-test", fallback_dir=tmp_path, block_ms=100)
    stopping = threading.Event()
    loop = threading.Thread(target=drain.run, args=(stopping.is_set,), daemon=True)
    loop.start()
    try:
        response = http.get(
            f"/r/{brand.link.code}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"}
        )
        unknown = http.get("/r/nope")
        django_page = http.get("/graphql/", headers={"Accept": "text/html"})

        assert response.status_code == 302
        assert response.headers["set-cookie"].startswith(f"afp_click={click_id_of(response)};")
        assert httpx.URL(response.headers["location"]).host == "shop.example.com"
        assert unknown.status_code == 404
        assert brand.tenant.name in unknown.text
        assert django_page.status_code == 200  # everything but /r/ is still Django
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with tenant_context(brand.tenant):
                if Click.objects.filter(id=click_id_of(response)).exists():
                    break
            time.sleep(0.05)
        else:
            pytest.fail("the drain loop did not write the click")
    finally:
        stopping.set()
        loop.join(timeout=5)
        http.close()
        drain.close()


def test_tracking_warm_rewrites_every_route_and_drops_stale_ones(
    tracking_tenants, committed, prefix, tracking_redis
):
    brand = brand_links(tracking_tenants[0], publish=False)
    stale = keys.link_route_key(brand.tenant.schema_name, "vanished", prefix)
    tracking_redis.set(stale, "{}")
    tracking_redis.set(keys.host_route_key("gone.localhost", prefix), "{}")

    call_command("tracking_warm", verbosity=0)

    host = tracking_redis.get(keys.host_route_key(brand.host, prefix))
    link = tracking_redis.get(keys.link_route_key(brand.tenant.schema_name, brand.link.code, prefix))
    assert host is not None
    assert link is not None
    assert tracking_redis.get(stale) is None
    assert tracking_redis.get(keys.host_route_key("gone.localhost", prefix)) is None
