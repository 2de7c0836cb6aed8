"""The click lane, driven in-process: redirect, cookie, what is counted, 404s, open redirects,
attribution cookies, and Redis going away. Data is committed (the lane reads Redis, and
Postgres from a thread on a cold miss); streams and routes are this test's own."""

from __future__ import annotations

import json
import time
import uuid

import httpx
import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from affiliation.models import AttributionModel
from tests.tracking.conftest import IPHONE, brand_links, click_id_of, link_rollups, stream_length
from tracking import keys
from tracking.fallback import SUFFIX
from tracking.models import Click
from tracking.redirect import _click_id

pytestmark = pytest.mark.live


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stream_entries(tracking_redis, prefix):
    return [fields for _, fields in tracking_redis.xrange(keys.click_stream_key(prefix))]


def test_a_click_redirects_with_its_id_a_first_party_cookie_and_the_utm_parameters(
    brands, lane, drain, tracking_redis, prefix
):
    brand, _ = brands

    response = lane.get(
        brand.host, f"/r/{brand.link.code}?utm_campaign=spring&utm_source=newsletter&sub1=abc"
    )

    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    click_id = click_id_of(response)
    assert uuid.UUID(click_id).version == 7
    assert (location.scheme, location.host, location.path) == ("https", "shop.example.com", "/landing")
    assert location.params["ref"] == "aff"  # the target's own query is kept
    assert location.params["utm_source"] == "newsletter"  # the click overrides the link's default
    assert location.params["utm_medium"] == "link"  # the link's default
    assert location.params["utm_campaign"] == "spring"
    assert "sub1" not in location.params
    cookie = response.headers["set-cookie"]
    assert cookie == f"afp_click={click_id}; Max-Age={30 * 86400}; Path=/; SameSite=Lax; HttpOnly"
    assert response.headers["cache-control"] == "no-store"
    [entry] = _stream_entries(tracking_redis, prefix)
    assert entry[keys.FIELD_SCHEMA] == brand.tenant.schema_name
    assert entry[keys.FIELD_CLICK_ID] == click_id
    assert int(entry[keys.FIELD_LINK]) == brand.link.pk
    assert int(entry[keys.FIELD_AFFILIATE]) == brand.affiliate.pk
    assert int(entry[keys.FIELD_PROGRAM]) == brand.program.pk

    drain.drain_available()

    with tenant_context(brand.tenant):
        click = Click.objects.get(link=brand.link)
    assert str(click.id) == click_id
    assert click.link_id == brand.link.pk
    assert (click.affiliate_id, click.program_id) == (brand.affiliate.pk, brand.program.pk)
    assert click.sub_ids == {"sub1": "abc", "sub2": "default2"}
    assert (click.device_type, click.browser, click.os) == ("desktop", "Chrome", "Windows")
    assert click.is_unique


def test_the_cookie_is_secure_behind_https_and_country_and_ip_come_from_the_proxy_headers(
    brands, lane_factory, drain
):
    brand, _ = brands
    lane = lane_factory(
        country_header=b"cf-ipcountry",
        client_ip_header=b"x-forwarded-for",
        trusted_proxies=("198.51.100.7", "10.0.0.0/8"),  # the lane client's address: our proxy
    )

    response = lane.get(
        brand.host,
        f"/r/{brand.link.code}",
        headers={
            "x-forwarded-proto": "https",
            "cf-ipcountry": "ma",
            "x-forwarded-for": "203.0.113.9, 10.0.0.1",
            "referer": "https://news.example.org/article?id=1",
        },
        user_agent=IPHONE,
    )
    other = lane.get(brand.host, f"/r/{brand.link.code}", headers={"x-forwarded-for": "203.0.113.10"})

    assert response.headers["set-cookie"].endswith("; HttpOnly; Secure")
    assert not other.headers["set-cookie"].endswith("Secure")
    drain.drain_available()
    with tenant_context(brand.tenant):
        click = Click.objects.get(id=click_id_of(response))
        other_click = Click.objects.get(id=click_id_of(other))
    assert click.country == "MA"
    assert (click.referrer, click.referrer_host) == (
        "https://news.example.org/article?id=1",
        "news.example.org",
    )
    assert click.device_type == "mobile"
    assert click.ip_hash != other_click.ip_hash  # the forwarded IP, not the proxy's address


def test_head_requests_preview_fetchers_and_bots_are_redirected_but_not_recorded(
    brands, lane, tracking_redis, prefix
):
    brand, _ = brands
    path = f"/r/{brand.link.code}"

    head = lane.request(brand.host, path, method="HEAD")
    preview = lane.get(brand.host, path, user_agent="facebookexternalhit/1.1")
    bot = lane.get(brand.host, path, user_agent="Mozilla/5.0 (compatible; Googlebot/2.1)")
    script = lane.get(brand.host, path, user_agent="curl/8.4.0")

    assert [r.status_code for r in (head, preview, bot, script)] == [302, 302, 302, 302]
    assert all(keys.CLICK_ID_PARAMETER in r.headers["location"] for r in (head, preview, bot, script))
    assert stream_length(tracking_redis, prefix) == 0

    lane.get(brand.host, path)

    assert stream_length(tracking_redis, prefix) == 1


def test_a_click_is_unique_once_per_hashed_ip_per_link_per_hour_and_rollups_keep_both_counts(
    brands, lane, drain
):
    brand, _ = brands
    second = brand.add_link()
    for ip in ("198.51.100.1", "198.51.100.1", "198.51.100.1", "198.51.100.2", "198.51.100.2"):
        lane.get(brand.host, f"/r/{brand.link.code}", ip=ip)
    lane.get(brand.host, f"/r/{second.code}", ip="198.51.100.1")

    drain.drain_available()
    lane.get(brand.host, f"/r/{brand.link.code}", ip="198.51.100.2")  # a later batch, same hour
    drain.drain_available()

    with tenant_context(brand.tenant):
        first_link = Click.objects.filter(link=brand.link)
        assert first_link.count() == 6
        assert first_link.filter(is_unique=True).count() == 2
        assert Click.objects.filter(link=second, is_unique=True).count() == 1
        rollups = {link.pk: link_rollups(link) for link in (brand.link, second)}
    [(hour, clicks, unique)] = rollups[brand.link.pk]
    assert (clicks, unique) == (6, 2)
    assert [(clicks, unique) for _, clicks, unique in rollups[second.pk]] == [(1, 1)]
    assert hour.minute == hour.second == 0


def test_the_next_hour_counts_the_same_ip_as_unique_again(brands, lane, drain, tracking_redis, prefix):
    brand, _ = brands
    lane.get(brand.host, f"/r/{brand.link.code}")
    [(_, entry)] = tracking_redis.xrange(keys.click_stream_key(prefix))
    later = dict(entry, **{keys.FIELD_TIME_MS: int(entry[keys.FIELD_TIME_MS]) + 3_600_000})
    later[keys.FIELD_CLICK_ID] = str(uuid.uuid4())
    tracking_redis.xadd(keys.click_stream_key(prefix), later)

    drain.drain_available()

    with tenant_context(brand.tenant):
        assert Click.objects.filter(link=brand.link, is_unique=True).count() == 2
        assert sorted(unique for _, _, unique in link_rollups(brand.link)) == [1, 1]


def test_the_raw_ip_is_never_stored(brands, lane, drain, tracking_redis, prefix):
    brand, _ = brands
    ip = "203.0.113.77"

    lane.get(brand.host, f"/r/{brand.link.code}", ip=ip)

    assert ip not in json.dumps(_stream_entries(tracking_redis, prefix))
    drain.drain_available()
    with tenant_context(brand.tenant), connection.cursor() as cursor:
        cursor.execute(
            "SELECT row_to_json(c)::text FROM tracking_click c WHERE link_id = %s", [brand.link.pk]
        )
        [(row,)] = cursor.fetchall()
        cursor.execute(
            "SELECT row_to_json(k)::text FROM tracking_uniqueclickkey k WHERE link_id = %s", [brand.link.pk]
        )
        [(key,)] = cursor.fetchall()
    assert ip not in row
    assert ip not in key
    assert len(json.loads(row)["ip_hash"]) == 32


def test_an_unknown_host_is_a_plain_404(brands, lane):
    response = lane.get("nowhere.localhost", "/r/whatever")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")


def test_an_unknown_or_archived_code_answers_the_brand_404_page(brands, lane, tracking_redis, prefix):
    brand, _ = brands
    archived = brand.add_link()
    brand.archive(archived)

    unknown = lane.get(brand.host, "/r/doesnotexist")
    gone = lane.get(brand.host, f"/r/{archived.code}")
    malformed = lane.get(brand.host, "/r/not%20a%20code")

    for response in (unknown, gone, malformed):
        assert response.status_code == 404
        assert "Link not found" in response.text
        assert brand.tenant.name in response.text
    assert stream_length(tracking_redis, prefix) == 0


def test_an_archived_link_stops_within_the_cache_time(brands, lane_factory):
    brand, _ = brands
    lane = lane_factory(link_cache_seconds=0.3)
    assert lane.get(brand.host, f"/r/{brand.link.code}").status_code == 302

    brand.archive(brand.link)

    assert lane.get(brand.host, f"/r/{brand.link.code}").status_code == 302  # cached
    time.sleep(0.35)
    assert lane.get(brand.host, f"/r/{brand.link.code}").status_code == 404


def test_never_an_open_redirect(brands, lane):
    brand, _ = brands

    response = lane.get(
        brand.host,
        f"/r/{brand.link.code}?url=https://evil.example/&next=https://evil.example/&target=//evil.example",
    )

    assert response.status_code == 302
    location = httpx.URL(response.headers["location"])
    assert location.host == "shop.example.com"
    assert "evil" not in response.headers["location"]


def test_only_get_and_head_are_answered(brands, lane):
    brand, _ = brands

    response = lane.request(brand.host, f"/r/{brand.link.code}", method="POST")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_first_click_attribution_keeps_the_first_cookie(brands, lane, drain):
    brand, _ = brands
    first_click = brand_links(brand.tenant, attribution_model=AttributionModel.FIRST_CLICK)

    first = lane.get(brand.host, f"/r/{first_click.link.code}")
    original = click_id_of(first)
    again = lane.get(
        brand.host, f"/r/{first_click.link.code}", headers={"cookie": f"x=1; afp_click={original}"}
    )

    assert "set-cookie" not in again.headers
    assert click_id_of(again) == original
    drain.drain_available()
    with tenant_context(brand.tenant):
        assert Click.objects.filter(link=first_click.link).count() == 2  # both clicks count


def test_first_click_ignores_a_cookie_that_is_not_a_recent_click_id(brands, lane):
    brand, _ = brands
    first_click = brand_links(
        brand.tenant, attribution_model=AttributionModel.FIRST_CLICK, cookie_window_days=1
    )
    two_days_ago_ms = int(time.time() * 1000) - 2 * 86_400_000
    expired = uuid.UUID(int=(two_days_ago_ms << 80) | (0x7 << 76) | (0b10 << 62) | 12345)

    for value in (str(uuid.uuid4()), str(expired), "garbage"):
        response = lane.get(
            brand.host, f"/r/{first_click.link.code}", headers={"cookie": f"afp_click={value}"}
        )
        click_id = click_id_of(response)
        assert click_id != value
        assert response.headers["set-cookie"].startswith(f"afp_click={click_id}; Max-Age=86400;")


def test_last_click_attribution_replaces_the_cookie(brands, lane):
    brand, _ = brands

    first = lane.get(brand.host, f"/r/{brand.link.code}")
    again = lane.get(
        brand.host, f"/r/{brand.link.code}", headers={"cookie": f"afp_click={click_id_of(first)}"}
    )

    assert click_id_of(again) != click_id_of(first)
    assert again.headers["set-cookie"].startswith(f"afp_click={click_id_of(again)};")


def test_a_link_code_of_brand_a_does_not_resolve_on_brand_b(brands, lane, drain):
    brand, other = brands

    response = lane.get(other.host, f"/r/{brand.link.code}")
    own = lane.get(brand.host, f"/r/{brand.link.code}")

    assert response.status_code == 404
    assert other.tenant.name in response.text
    assert own.status_code == 302
    drain.drain_available()
    with tenant_context(brand.tenant):
        assert list(Click.objects.filter(link=brand.link).values_list("id", flat=True)) == [
            uuid.UUID(click_id_of(own))
        ]
    with tenant_context(other.tenant):
        assert not Click.objects.filter(id=click_id_of(own)).exists()
        assert not Click.objects.filter(link=other.link).exists()


def test_the_same_code_in_two_brands_resolves_to_each_brands_link(brands, lane, drain):
    brand, other = brands
    code = f"same{brand.link.pk}x{other.link.pk}"
    shared = brand.add_link(code=code, target_url="https://a.example/")
    other.add_link(code=code, target_url="https://b.example/")

    to_a = lane.get(brand.host, f"/r/{code}")
    to_b = lane.get(other.host, f"/r/{code}")

    assert httpx.URL(to_a.headers["location"]).host == "a.example"
    assert httpx.URL(to_b.headers["location"]).host == "b.example"
    drain.drain_available()
    with tenant_context(brand.tenant):
        assert list(Click.objects.filter(id=click_id_of(to_a)).values_list("link_id", flat=True)) == [
            shared.pk
        ]
    with tenant_context(other.tenant):
        assert not Click.objects.filter(id=click_id_of(to_a)).exists()
        assert Click.objects.filter(id=click_id_of(to_b)).exists()


def test_with_redis_down_the_redirect_still_answers_and_the_click_goes_to_the_fallback_file(
    brands, lane_factory, drain, tmp_path
):
    brand, _ = brands
    dead = lane_factory(redis_url=f"redis://127.0.0.1:{_closed_port()}/3")

    started = time.perf_counter()
    responses = [dead.get(brand.host, f"/r/{brand.link.code}", ip=f"198.51.100.{n}") for n in range(3)]
    elapsed = time.perf_counter() - started

    assert [response.status_code for response in responses] == [302, 302, 302]
    assert elapsed < 3  # the routes came from Postgres once, no stalls on the dead Redis
    [file] = (tmp_path / "fallback").glob("*" + SUFFIX)
    lines = [json.loads(line) for line in file.read_text().splitlines()]
    assert [line[keys.FIELD_CLICK_ID] for line in lines] == [click_id_of(r) for r in responses]
    assert all(line[keys.FIELD_SCHEMA] == brand.tenant.schema_name for line in lines)

    assert drain.drain_available().inserted == 0  # the process still holds its file
    dead.lane.fallback.close()  # the process hands it over (Redis back, rotation or exit)
    stats = drain.drain_available()

    assert stats.inserted == 3
    assert list((tmp_path / "fallback").iterdir()) == []
    with tenant_context(brand.tenant):
        assert sorted(
            str(pk) for pk in Click.objects.filter(link=brand.link).values_list("id", flat=True)
        ) == sorted(click_id_of(r) for r in responses)


def test_a_cold_process_reads_postgres_once_and_writes_the_routes_back_to_redis(
    tracking_tenants, committed, prefix, lane, tracking_redis
):
    brand = brand_links(tracking_tenants[0], publish=False)
    host_key = keys.host_route_key(brand.host, prefix)
    link_key = keys.link_route_key(brand.tenant.schema_name, brand.link.code, prefix)
    assert tracking_redis.get(host_key) is None

    response = lane.get(brand.host, f"/r/{brand.link.code}")
    missing = lane.get(brand.host, "/r/nosuchcode")

    assert response.status_code == 302
    assert missing.status_code == 404
    assert json.loads(tracking_redis.get(host_key)) == {
        "schema": brand.tenant.schema_name,
        "name": brand.tenant.name,
    }
    assert json.loads(tracking_redis.get(link_key))["link"] == brand.link.pk
    missing_key = keys.link_route_key(brand.tenant.schema_name, "nosuchcode", prefix)
    assert json.loads(tracking_redis.get(missing_key)) == {"missing": True}
    assert tracking_redis.ttl(missing_key) > 0


def test_click_ids_carry_the_server_time_even_thousands_a_millisecond():
    now_ms = int(time.time() * 1000)

    ids = [uuid.UUID(_click_id(now_ms)) for _ in range(5000)]

    assert len(set(ids)) == 5000
    assert {click_id.version for click_id in ids} == {7}
    assert {click_id.int >> 80 for click_id in ids} == {now_ms}


def test_links_of_a_suspended_affiliate_or_a_closed_program_stop_and_come_back(brands, lane_factory):
    from affiliation.services import affiliate_decide, program_update

    brand, _ = brands
    path = f"/r/{brand.link.code}"

    def status() -> int:
        return lane_factory(link_cache_seconds=0).get(brand.host, path).status_code

    with tenant_context(brand.tenant):
        affiliate_decide(actor=None, affiliate=brand.affiliate, approve=False)
    suspended = status()
    with tenant_context(brand.tenant):
        affiliate_decide(actor=None, affiliate=brand.affiliate, approve=True)
    reinstated = status()
    with tenant_context(brand.tenant):
        program_update(actor=None, program=brand.program, is_active=False)
    closed = status()
    with tenant_context(brand.tenant):
        program_update(actor=None, program=brand.program, is_active=True)

    assert (suspended, reinstated, closed, status()) == (404, 302, 404, 302)
