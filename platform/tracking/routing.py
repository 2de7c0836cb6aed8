"""Routes of the click lane in Redis: host → brand, and (brand, link code) → where to redirect.

The lane (tracking.redirect) never reads Postgres in the steady state, so whatever changes a
route publishes it here after commit: ``link_route_publish`` when a link is created, edited
or archived, ``program_routes_publish`` when a program's cookie window or attribution model
changes, ``host_route_publish`` when a brand gets a domain or is renamed. ``routes_warm``
(the ``tracking_warm`` command) rewrites everything, e.g. after Redis lost its data.

Publishing never raises on a Redis failure (it runs in ``on_commit`` hooks, after the data
is committed): it logs, and the lane falls back to Postgres on a miss until the next warm.
The ``*_load`` functions are that fallback: one Postgres lookup, run by the lane in a thread.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from typing import Any

import redis
from django.conf import settings
from django_tenants.utils import get_public_schema_name, schema_context
from redis.backoff import NoBackoff
from redis.retry import Retry

from affiliation.models import Affiliate, AffiliateStatus, Link, Program
from core.tenancy import current_schema
from tenants.ipblocks import blocked_networks
from tenants.models import Domain, Tenant, TenantKind
from tenants.selectors import normalize_host
from tracking.keys import host_route_key, link_route_key

logger = logging.getLogger(__name__)

# How long a "this host / this code does not exist" answer is remembered in Redis, so that
# junk codes do not send every process to Postgres. Publishing a real route overwrites it.
MISSING_ROUTE_SECONDS = 60
MISSING = {"missing": True}
WARM_CHUNK = 1000

_clients: dict[str, redis.Redis] = {}


def tracking_redis() -> redis.Redis:
    """A (process-wide, thread-safe) sync client of the tracking Redis database."""
    url = settings.TRACKING_REDIS_URL
    client = _clients.get(url)
    if client is None:
        # One quick retry: the lane calls this from its fallback thread and must not hang.
        client = _clients[url] = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=5,
            socket_connect_timeout=1,
            retry=Retry(NoBackoff(), 1),
        )
    return client


def link_route_payload(link: Link) -> dict[str, Any]:
    """What the lane needs of a link, its program's attribution settings included."""
    program = link.program
    return {
        "link": link.pk,
        "affiliate": link.affiliate_id,
        "program": link.program_id,
        "target": link.target_url,
        "sub_ids": link.sub_ids or {},
        "utm": link.utm or {},
        "cookie_window_days": program.cookie_window_days,
        "attribution_model": program.attribution_model,
        # The lane answers the brand's 404 for an archived link, a closed program, or an
        # affiliate who is not (or no longer) approved.
        "archived": link.archived_at is not None
        or not program.is_active
        or link.affiliate.status != AffiliateStatus.APPROVED,
    }


def host_route_payload(schema_name: str, brand_name: str) -> dict[str, Any]:
    payload: dict[str, Any] = {"schema": schema_name, "name": brand_name}
    blocked = blocked_networks(schema_name)
    if blocked:  # the lane refuses clicks from these (tenants.ipblocks)
        payload["blocked"] = list(blocked)
    return payload


def _brand_schema(schema_name: str | None) -> str:
    schema_name = schema_name or current_schema()
    if schema_name == get_public_schema_name():
        raise ValueError("links live in a brand's schema: pass schema_name or call it in the brand")
    return schema_name


def _set(key: str, payload: dict[str, Any]) -> None:
    try:
        tracking_redis().set(key, json.dumps(payload, separators=(",", ":")))
    except redis.RedisError:
        logger.exception("route %s not published (the lane falls back to Postgres on a miss)", key)


def link_route_publish(link: Link, *, schema_name: str | None = None) -> None:
    """Publish ``link``'s route (also when archived: the lane then answers the brand's 404).

    Call it after commit, in the link's brand (or name the schema). Reads ``link.program``.
    """
    _set(link_route_key(_brand_schema(schema_name), link.code), link_route_payload(link))


def link_route_unpublish(code: str, *, schema_name: str | None = None) -> None:
    """A deleted link: remembered as missing (the lane answers the brand's 404 without Postgres)."""
    _set(link_route_key(_brand_schema(schema_name), code), MISSING)


def program_routes_publish(program: Program, *, schema_name: str | None = None) -> int:
    """Republish every link of ``program`` (closed or reopened, its cookie window or
    attribution model changed)."""
    return _republish(schema_name, program=program)


def affiliate_routes_publish(affiliate: Affiliate, *, schema_name: str | None = None) -> int:
    """Republish every link of ``affiliate`` (approved, suspended or rejected since)."""
    return _republish(schema_name, affiliate=affiliate)


def _republish(schema_name: str | None, **link_filter: Any) -> int:
    schema_name = _brand_schema(schema_name)
    links = Link.objects.filter(**link_filter).select_related("program", "affiliate").order_by("id")
    try:
        return _publish_links(schema_name, links.iterator(chunk_size=WARM_CHUNK))
    except redis.RedisError:
        logger.exception("routes of %s not published", link_filter)
        return 0


def host_route_publish(domain: str, schema_name: str, brand_name: str) -> None:
    """Publish that ``domain`` serves the brand in ``schema_name`` (its name is on its 404 page)."""
    _set(host_route_key(normalize_host(domain)), host_route_payload(schema_name, brand_name))


def host_route_unpublish(domain: str) -> None:
    """A domain removed from its brand: remembered as unknown."""
    _set(host_route_key(normalize_host(domain)), MISSING)


def brand_routes_publish(tenant: Tenant) -> None:
    """Publish every domain of a brand (after a rename: the 404 page shows the name)."""
    with schema_context(get_public_schema_name()):
        domains = list(Domain.objects.filter(tenant=tenant).values_list("domain", flat=True))
    for domain in domains:
        host_route_publish(domain, tenant.schema_name, tenant.name)


def _publish_links(schema_name: str, links: Iterable[Link]) -> int:
    client = tracking_redis()
    count = 0
    pipe = client.pipeline(transaction=False)
    for link in links:
        pipe.set(
            link_route_key(schema_name, link.code),
            json.dumps(link_route_payload(link), separators=(",", ":")),
        )
        count += 1
        if count % WARM_CHUNK == 0:
            pipe.execute()
    pipe.execute()
    return count


def _scan(pattern: str) -> Iterator[str]:
    yield from tracking_redis().scan_iter(match=pattern, count=1000)


def routes_warm() -> dict[str, int]:
    """(Re)write every brand's host and link routes, and drop routes nothing backs any more.

    Raises on a Redis failure: unlike the publish hooks, nothing else would notice.
    """
    public = get_public_schema_name()
    with schema_context(public):
        brands = list(Tenant.objects.filter(kind=TenantKind.BRAND).order_by("id"))
        domains = list(
            Domain.objects.filter(tenant__kind=TenantKind.BRAND).values_list("domain", "tenant__schema_name")
        )
    names = {brand.schema_name: brand.name for brand in brands}
    client = tracking_redis()
    pipe = client.pipeline(transaction=False)
    hosts = {normalize_host(domain) for domain, _ in domains}
    for domain, schema_name in domains:
        payload = host_route_payload(schema_name, names[schema_name])
        pipe.set(host_route_key(normalize_host(domain)), json.dumps(payload, separators=(",", ":")))
    pipe.execute()

    link_count = 0
    codes: dict[str, set[str]] = {}
    for brand in brands:
        with schema_context(brand.schema_name):
            links = list(Link.objects.select_related("program", "affiliate").order_by("id"))
            link_count += _publish_links(brand.schema_name, links)
        codes[brand.schema_name] = {link.code for link in links}

    host_prefix = host_route_key("")
    link_prefix = link_route_key("", "")[:-1]  # "<prefix>:route:link:"
    stale = [key for key in _scan(host_prefix + "*") if key.removeprefix(host_prefix) not in hosts]
    for key in _scan(link_prefix + "*"):
        schema_name, _, code = key.removeprefix(link_prefix).partition(":")
        if code not in codes.get(schema_name, ()):
            stale.append(key)
    for start in range(0, len(stale), WARM_CHUNK):
        client.delete(*stale[start : start + WARM_CHUNK])
    return {"brands": len(brands), "hosts": len(hosts), "links": link_count, "removed": len(stale)}


def host_route_load(host: str, prefix: str | None = None) -> dict[str, Any] | None:
    """The lane's fallback on a cold miss: the brand serving ``host`` (normalized), from Postgres.

    Runs in the public schema (``core.tenancy.run_in_public``). Writes the answer (or a
    short-lived "missing") back to Redis, best effort.
    """
    domain = (
        Domain.objects.select_related("tenant").filter(domain=host, tenant__kind=TenantKind.BRAND).first()
    )
    payload = host_route_payload(domain.tenant.schema_name, domain.tenant.name) if domain else None
    _write_back(host_route_key(host, prefix), payload)
    return payload


def link_route_load(schema_name: str, code: str, prefix: str | None = None) -> dict[str, Any] | None:
    """The lane's fallback on a cold miss: link ``code`` of the brand in ``schema_name``.

    Called through ``run_in_public`` (which leaves the thread on public whatever happens);
    the schema is entered here because the lane knows the brand by schema name only.
    """
    with schema_context(schema_name):
        link = Link.objects.select_related("program", "affiliate").filter(code=code).first()
        payload = link_route_payload(link) if link else None
    _write_back(link_route_key(schema_name, code, prefix), payload)
    return payload


def _write_back(key: str, payload: dict[str, Any] | None) -> None:
    """Only where Redis has nothing (NX): a route published meanwhile is newer than this read."""
    try:
        if payload is None:
            tracking_redis().set(key, json.dumps(MISSING), ex=MISSING_ROUTE_SECONDS, nx=True)
        else:
            tracking_redis().set(key, json.dumps(payload, separators=(",", ":")), nx=True)
    except redis.RedisError as error:
        logger.warning("route %s not written back to Redis: %s", key, error)
