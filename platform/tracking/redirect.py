"""The click lane: ``GET /r/<code>`` on a brand's host, answered in front of Django.

A minimal Django view tops out at a few thousand requests a second; this plain ASGI app does
only what a click needs (see ARCHITECTURE.md, "The click path"): no middleware, no session,
no ORM. Per request, in the steady state:

1. the brand from the Host header and the link from the code, both from in-process caches
   (a few seconds, so an archived link stops within seconds), refreshed from Redis; only on
   a miss in both (Redis flushed or down, a new process) one Postgres lookup in a thread,
   written back to Redis;
2. the click (a UUIDv7 id, server time, hashed IP, user agent, referrer, country from a
   trusted proxy header, sub ids) appended to the Redis stream that ``tracking.ingest``
   drains; the clicks of concurrent requests go in one script call (group commit), and the
   redirect is answered once its click is in Redis (or, Redis down, in the fallback file);
3. a 302 to the link's stored target (never a URL from the request) with the click id and
   the UTM parameters merged in, and the first-party ``afp_click`` cookie.

HEAD requests and the user agents ``core.agents`` does not count are redirected but not
recorded. An error while recording is logged and the redirect is answered anyway.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import html
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import redis.asyncio as aioredis
from django.conf import settings
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError
from redis.retry import Retry

from core.agents import is_counted_agent
from core.clientip import ClientIpResolver, Network
from core.ids import uuid7_string
from core.tenancy import run_in_public
from tenants.ipblocks import is_blocked, parse_networks
from tenants.selectors import normalize_host
from tracking import keys
from tracking.fallback import FallbackLog
from tracking.metrics import lane_send_counted
from tracking.routing import host_route_load, link_route_load

logger = logging.getLogger(__name__)

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

PATH_PREFIX = "/r/"
_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_COUNTRY = re.compile(rb"[A-Za-z]{2}")
_json = json.JSONEncoder(separators=(",", ":")).encode
_CLICK_ID = keys.FIELD_CLICK_ID.encode()
_TIME_MS = keys.FIELD_TIME_MS.encode()
_IP_HASH = keys.FIELD_IP_HASH.encode()
_USER_AGENT = keys.FIELD_USER_AGENT.encode()
_REFERRER = keys.FIELD_REFERRER.encode()
_COUNTRY_CODE = keys.FIELD_COUNTRY.encode()
_SUB_IDS = keys.FIELD_SUB_IDS.encode()
# Appends a batch of clicks to the stream in one command and one reply: KEYS[1] is the
# stream; ARGV holds, per click, its number of field/value arguments then those arguments.
_APPEND_SCRIPT = """
local i = 1
local count = 0
while i <= #ARGV do
    local n = tonumber(ARGV[i])
    redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
    i = i + n + 1
    count = count + 1
end
return count
"""
_APPEND_SCRIPT_SHA = hashlib.sha1(_APPEND_SCRIPT.encode()).hexdigest().encode()  # noqa: S324 (Redis's script id)
# Clicks per script call: Redis runs a script alone, so keep each call short (~1 ms).
_APPEND_BATCH = 256
_APPEND_TIMEOUT_SECONDS = 1.0
_WRITERS = 4  # stream appends in flight at once, per process
_CACHE_LIMIT = 50_000
# Clock skew tolerated on a first-click cookie's time (UUIDv7 carries it): cookies come from
# other processes and machines.
_COOKIE_SKEW_MS = 60_000
_FIRST_CLICK = "first_click"
_PATH_SAFE = ":/@!$&'()*+,;=%~"
_FRAGMENT_SAFE = "/?=&%~!$'()*+,;:@"

_PLAIN_404 = b"Not found\n"
_NOT_FOUND_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link not found · {name}</title></head>
<body style="font-family: system-ui, sans-serif; text-align: center; padding: 4rem 1rem">
<h1>Link not found</h1><p>This link does not exist or is no longer active.</p>
<p><small>{name}</small></p></body></html>
"""

_CONTENT_LENGTH_0 = (b"content-length", b"0")
_EMPTY_BODY = {"type": "http.response.body", "body": b""}  # read, never changed, by servers
_NO_STORE = (b"cache-control", b"no-store")
_HTML = (b"content-type", b"text/html; charset=utf-8")
_TEXT = (b"content-type", b"text/plain; charset=utf-8")


def _header_name(name: str) -> bytes:
    """``HTTP_X_FORWARDED_FOR`` (Django's META spelling, as in CLIENT_IP_HEADER) or
    ``X-Forwarded-For`` → ``b"x-forwarded-for"``, as ASGI spells header names."""
    name = name.strip()
    if name.upper().startswith("HTTP_"):
        name = name[5:].replace("_", "-")
    return name.lower().encode("latin-1")


@dataclass(frozen=True, slots=True)
class HostRoute:
    """A brand, as the lane knows it: no database object, only what a click needs."""

    schema_name: str
    brand_name: str
    not_found_page: bytes
    secret_key: bytes
    ip_prefix: bytes  # the schema, then a separator: the IP follows it in the hashed message
    blocked: tuple[Network, ...] = ()  # networks an operator blocks on the brand (tenants.ipblocks)

    @classmethod
    def build(cls, payload: dict[str, Any], secret_key: bytes) -> HostRoute:
        schema_name = str(payload["schema"])
        name = str(payload.get("name") or "")
        page = _NOT_FOUND_PAGE.format(name=html.escape(name)).encode()
        blocked = parse_networks(tuple(payload.get("blocked") or ()))
        return cls(schema_name, name, page, secret_key, schema_name.encode() + b"\x00", blocked)

    def ip_hash(self, ip: bytes) -> bytes:
        """HMAC-SHA256 keyed with the secret, of the brand and the IP: the same visitor hashes
        differently per brand, and the hash cannot be reversed by hashing the IPv4 space."""
        return hmac.digest(self.secret_key, self.ip_prefix + ip, "sha256")[:16].hex().encode()


@dataclass(frozen=True, slots=True)
class LinkRoute:
    """A link with its redirect precomputed: the common case is one string concatenation."""

    link_id: int
    archived: bool
    first_click: bool
    cookie_max_age: int
    window_ms: int
    sub_ids: dict[str, str]
    base: str
    query: tuple[tuple[str, str], ...]
    fragment: str
    location_prefix: str  # base + "?" + query + "afp_click_id="
    cookie_suffix: str
    # The click's fields that come from the route (brand, link, affiliate, program): as
    # they go to the fallback file, and already packed for the stream (see _ClickWriter).
    stream_fields: dict[str, str] = field(repr=False)
    packed_fields: bytes = field(repr=False)

    @classmethod
    def build(cls, payload: dict[str, Any], schema_name: str) -> LinkRoute:
        target = urlsplit(str(payload.get("target") or ""))
        # The stored target was validated when the link was saved; quoting only makes a
        # non-ASCII path or query safe for a header.
        base = quote(f"{target.scheme}://{target.netloc}{target.path}", safe=_PATH_SAFE)
        pairs = [
            (key, value)
            for key, value in parse_qsl(target.query, keep_blank_values=True)
            if key != keys.CLICK_ID_PARAMETER
        ]
        utm = {str(k): str(v) for k, v in (payload.get("utm") or {}).items() if k in keys.UTM_KEYS and v}
        query = tuple(_merged(pairs, utm))
        encoded = urlencode(query)
        fragment = "#" + quote(target.fragment, safe=_FRAGMENT_SAFE) if target.fragment else ""
        days = int(payload.get("cookie_window_days") or 30)
        link_id = int(payload.get("link") or 0)
        stream_fields = {
            keys.FIELD_SCHEMA: schema_name,
            keys.FIELD_LINK: str(link_id),
            keys.FIELD_AFFILIATE: str(int(payload.get("affiliate") or 0)),
            keys.FIELD_PROGRAM: str(int(payload.get("program") or 0)),
        }
        return cls(
            link_id=link_id,
            archived=bool(payload.get("archived")),
            first_click=payload.get("attribution_model") == _FIRST_CLICK,
            cookie_max_age=days * 86400,
            window_ms=days * 86_400_000,
            sub_ids={
                str(k): str(v)[: keys.SUB_ID_MAX_LENGTH]
                for k, v in (payload.get("sub_ids") or {}).items()
                if k in keys.SUB_ID_KEYS and v not in (None, "")
            },
            base=base,
            query=query,
            fragment=fragment,
            location_prefix=f"{base}?{encoded}&{keys.CLICK_ID_PARAMETER}="
            if encoded
            else f"{base}?{keys.CLICK_ID_PARAMETER}=",
            cookie_suffix=f"; Max-Age={days * 86400}; Path=/; SameSite=Lax; HttpOnly",
            stream_fields=stream_fields,
            packed_fields=_packed({key.encode(): value.encode() for key, value in stream_fields.items()}),
        )

    def location(self, click_id: str, utm: dict[str, str] | None) -> str:
        if not utm:
            return self.location_prefix + click_id + self.fragment
        pairs = [*_merged(list(self.query), utm), (keys.CLICK_ID_PARAMETER, click_id)]
        return f"{self.base}?{urlencode(pairs)}{self.fragment}"


def _merged(pairs: list[tuple[str, str]], overrides: dict[str, str]) -> list[tuple[str, str]]:
    """``pairs`` with the overridden keys' values replaced in place, new keys appended."""
    merged = [(key, overrides.get(key, value)) for key, value in pairs]
    present = {key for key, _ in pairs}
    merged.extend((key, value) for key, value in overrides.items() if key not in present)
    return merged


@dataclass(frozen=True)
class LaneConfig:
    redis_url: str
    key_prefix: str
    secret_key: bytes
    fallback_dir: Path
    client_ip_header: bytes  # believed from the trusted proxies only
    trusted_proxies: tuple[str, ...]  # empty: the peer address is the client
    country_header: bytes  # empty: no country
    link_cache_seconds: float
    host_cache_seconds: float
    redis_retry_seconds: float

    @classmethod
    def from_settings(cls, **overrides: Any) -> LaneConfig:
        ip_header = settings.CLIENT_IP_HEADER
        values: dict[str, Any] = {
            "redis_url": settings.TRACKING_REDIS_URL,
            "key_prefix": keys.key_prefix(),
            "secret_key": settings.SECRET_KEY.encode(),
            "fallback_dir": Path(settings.CLICK_FALLBACK_DIR),
            "client_ip_header": b"" if ip_header in ("", "REMOTE_ADDR") else _header_name(ip_header),
            "trusted_proxies": tuple(settings.TRUSTED_PROXIES),
            "country_header": _header_name(settings.CLICK_COUNTRY_HEADER)
            if settings.CLICK_COUNTRY_HEADER
            else b"",
            "link_cache_seconds": float(settings.CLICK_LINK_CACHE_SECONDS),
            "host_cache_seconds": float(settings.CLICK_HOST_CACHE_SECONDS),
            "redis_retry_seconds": float(settings.CLICK_REDIS_RETRY_SECONDS),
        }
        values.update(overrides)
        return cls(**values)


class _LoopState:
    """What is bound to one event loop: the Redis client, the pending stream appends and the
    Postgres lookups in flight. A server has one loop per process; tests run several."""

    def __init__(self, lane: ClickLane, loop: asyncio.AbstractEventLoop) -> None:
        config = lane.config
        self.loop = loop
        self.redis = aioredis.Redis.from_url(
            config.redis_url,
            socket_connect_timeout=0.25,
            socket_timeout=1.0,
            retry=Retry(NoBackoff(), 0),
            max_connections=64,
        )
        # Stream appends use connections of their own, without redis-py's per-call timeouts
        # (each one a task): one deadline covers a whole append instead.
        self.writer_pool = aioredis.ConnectionPool.from_url(
            config.redis_url, socket_connect_timeout=0.25, socket_timeout=None, retry=Retry(NoBackoff(), 0)
        )
        self.idle_writers: list[Any] = []
        self.writers = 0  # flush tasks running
        self.flush_starting = False  # one was started and has not taken its batch yet
        self.stream_key = keys.click_stream_key(config.key_prefix)
        self.pending: list[_Pending] = []
        self.lookups: dict[tuple[str, ...], asyncio.Future[Any]] = {}


class ClickLane:
    """The ASGI app of ``/r/<code>``. One instance per process; ``config`` from settings."""

    def __init__(self, config: LaneConfig | None = None) -> None:
        self.config = config or LaneConfig.from_settings()
        self._state: _LoopState | None = None
        self._hosts: dict[bytes, tuple[float, HostRoute | None]] = {}
        self._links: dict[str, dict[str, tuple[float, LinkRoute | None]]] = {}
        self._redis_down_until = 0.0
        self._fallback: FallbackLog | None = None
        self._client_ips = ClientIpResolver(self.config.trusted_proxies)

    @property
    def fallback(self) -> FallbackLog:
        if self._fallback is None:
            self._fallback = FallbackLog(self.config.fallback_dir)
        return self._fallback

    async def aclose(self) -> None:
        """Close this loop's Redis connections and hand the fallback file over (tests, benches)."""
        if self._state is not None:
            await self._state.redis.aclose()
            for connection in self._state.idle_writers:
                await connection.disconnect()
            self._state = None
        if self._fallback is not None:
            self._fallback.close()

    def _loop_state(self) -> _LoopState:
        loop = asyncio.get_running_loop()
        state = self._state
        if state is None or state.loop is not loop:
            state = self._state = _LoopState(self, loop)
        return state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = self._loop_state()
        config = self.config
        host = user_agent = referrer = cookie = proto = country = forwarded_ip = b""
        ip_header = config.client_ip_header
        country_header = config.country_header
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"user-agent":
                user_agent = value
            elif name == b"referer":
                referrer = value
            elif name == b"cookie":
                cookie = value
            elif name == b"x-forwarded-proto":
                proto = value
            elif name == ip_header:
                forwarded_ip = forwarded_ip + b", " + value if forwarded_ip else value
            elif name == country_header:
                country = value

        method = scope["method"]
        code = scope["path"][len(PATH_PREFIX) :].rstrip("/")
        now = time.monotonic()
        try:
            # The in-process caches are read here, inline: the coroutines run on misses only.
            cached_host = self._hosts.get(host)
            if cached_host is not None and cached_host[0] > now:
                host_route = cached_host[1]
            else:
                host_route = await self._host_route(state, host)
            if host_route is None:
                return await _respond(send, 404, [_TEXT, _NO_STORE], _PLAIN_404)
            if host_route.blocked and is_blocked(self._client_ip(scope, forwarded_ip), host_route.blocked):
                # A blocked address is refused, its click not recorded (tenants.ipblocks).
                return await _respond(send, 403, [_TEXT, _NO_STORE], b"Forbidden\n")
            if method != "GET" and method != "HEAD":
                return await _respond(send, 405, [_TEXT, (b"allow", b"GET, HEAD")], b"Method not allowed\n")
            link = None
            if _CODE.fullmatch(code):
                links = self._links.get(host_route.schema_name)
                cached_link = links.get(code) if links is not None else None
                if cached_link is not None and cached_link[0] > now:
                    link = cached_link[1]
                else:
                    link = await self._link_route(state, host_route.schema_name, code)
        except Exception:
            # Redis and Postgres both failed on a cold cache: nothing to redirect to.
            logger.exception("click lane: no route for %r %r", host, code)
            return await _respond(send, 503, [_TEXT, _NO_STORE], b"Service unavailable\n")
        if link is None or link.archived:
            page = b"" if method == "HEAD" else host_route.not_found_page
            return await _respond(send, 404, [_HTML, _NO_STORE], page)

        now_ms = time.time_ns() // 1_000_000
        click_id = _click_id(now_ms)
        target_click_id = click_id
        set_cookie = True
        if link.first_click and cookie:
            original = _first_click_id(cookie, link.window_ms)
            if original is not None:
                target_click_id = original
                set_cookie = False
        query = scope["query_string"]
        utm, sub_ids = _click_parameters(query) if query else (None, None)

        recorded: asyncio.Future[None] | None = None
        if method == "GET" and is_counted_agent(user_agent):
            try:
                ip = self._client_ip(scope, forwarded_ip).encode()
                # Header values travel as the client sent them (the drain decodes UTF-8).
                fields = {
                    _CLICK_ID: click_id.encode(),
                    _TIME_MS: b"%d" % now_ms,
                    _IP_HASH: host_route.ip_hash(ip),
                }
                if user_agent:
                    fields[_USER_AGENT] = user_agent[: keys.USER_AGENT_MAX_LENGTH]
                if referrer:
                    fields[_REFERRER] = referrer[: keys.REFERRER_MAX_LENGTH]
                if country and _COUNTRY.fullmatch(country) and country != b"XX":  # XX: unknown
                    fields[_COUNTRY_CODE] = country.upper()
                subs = {**link.sub_ids, **sub_ids} if sub_ids else link.sub_ids
                if subs:
                    fields[_SUB_IDS] = _json(subs).encode()
                recorded = self._append(state, link, fields)
            except Exception:
                logger.exception("click %s on link %s not recorded", click_id, link.link_id)

        headers = [
            (b"location", link.location(target_click_id, utm).encode("latin-1")),
            _NO_STORE,
            _CONTENT_LENGTH_0,
        ]
        if set_cookie:
            secure = proto == b"https" or scope.get("scheme") == "https"
            value = f"{keys.CLICK_COOKIE}={click_id}{link.cookie_suffix}{'; Secure' if secure else ''}"
            headers.append((b"set-cookie", value.encode("latin-1")))
        if recorded is not None:
            # The redirect leaves once its click is in Redis (or in the fallback file): a
            # server shutting down gracefully finishes the request, so no click is dropped.
            # (Answering first and waiting after was measured slower: ~50 % more CPU.)
            try:
                await recorded
            except Exception:
                logger.exception("click %s on link %s not recorded", click_id, link.link_id)
        await send({"type": "http.response.start", "status": 302, "headers": headers})
        await send(_EMPTY_BODY)
        return None

    def _client_ip(self, scope: Scope, forwarded_ip: bytes) -> str:
        client = scope.get("client")
        ip = str(client[0]) if client else ""
        if forwarded_ip and self._client_ips.networks:  # believed from our proxies only
            ip = self._client_ips.resolve(ip, forwarded_ip.decode("latin-1"))
        return ip

    # --- routes: in-process cache, then Redis, then (cold) Postgres -----------------------

    async def _host_route(self, state: _LoopState, host: bytes) -> HostRoute | None:
        cached = self._hosts.get(host)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        name = normalize_host(host.decode("latin-1"))
        prefix = self.config.key_prefix
        payload = await self._route_payload(
            state, keys.host_route_key(name, prefix), ("host", name), host_route_load, name, prefix
        )
        route = HostRoute.build(payload, self.config.secret_key) if payload else None
        if len(self._hosts) >= _CACHE_LIMIT:
            self._hosts.clear()
        # An unknown host is remembered as briefly as a link: a brand just created shows soon.
        ttl = self.config.host_cache_seconds if route else self.config.link_cache_seconds
        self._hosts[host] = (now + ttl, route)
        return route

    async def _link_route(self, state: _LoopState, schema_name: str, code: str) -> LinkRoute | None:
        links = self._links.get(schema_name)
        if links is None:
            links = self._links[schema_name] = {}
        cached = links.get(code)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        prefix = self.config.key_prefix
        payload = await self._route_payload(
            state,
            keys.link_route_key(schema_name, code, prefix),
            ("link", schema_name, code),
            link_route_load,
            schema_name,
            code,
            prefix,
        )
        route = LinkRoute.build(payload, schema_name) if payload else None
        if len(links) >= _CACHE_LIMIT:
            links.clear()
        links[code] = (now + self.config.link_cache_seconds, route)
        return route

    async def _route_payload(
        self,
        state: _LoopState,
        key: str,
        lookup: tuple[str, ...],
        load: Callable[..., dict[str, Any] | None],
        *args: str,
    ) -> dict[str, Any] | None:
        """Redis, or (miss, or Redis down) one Postgres lookup shared by concurrent requests."""
        if time.monotonic() >= self._redis_down_until:
            try:
                raw = await state.redis.get(key)
            except (RedisError, OSError) as error:
                self._redis_failed(error)
            else:
                if raw is not None:
                    payload = json.loads(raw)
                    return None if payload.get("missing") else dict(payload)
        future = state.lookups.get(lookup)
        if future is None:
            future = state.lookups[lookup] = asyncio.ensure_future(run_in_public(load, *args))
            future.add_done_callback(lambda _: state.lookups.pop(lookup, None))
        return await asyncio.shield(future)

    # --- the click: group-committed stream appends ---------------------------------------

    def _append(self, state: _LoopState, link: LinkRoute, fields: dict[bytes, bytes]) -> asyncio.Future[None]:
        """Queue the click; the future resolves once it is in the stream (or, Redis down, in
        the fallback file).

        Group commit without lockstep: the clicks of one turn of the event loop leave
        together in one call, and a new call starts while earlier ones await Redis (up to
        ``_WRITERS`` at once). With a single call in flight, every connection would wait for
        the same round trip and the server would idle through it.
        """
        future = state.loop.create_future()
        if time.monotonic() < self._redis_down_until:
            self.fallback.write([_fallback_entry(link, fields)])
            future.set_result(None)
            return future
        state.pending.append((link, fields, future))
        if not state.flush_starting and state.writers < _WRITERS:
            state.flush_starting = True
            state.writers += 1
            state.loop.create_task(self._flush(state))
        return future

    async def _flush(self, state: _LoopState) -> None:
        """Append what is pending, batch after batch, then give the connection back. Every
        future gets its answer, whatever happens: a request must never wait forever."""
        connection = state.idle_writers.pop() if state.idle_writers else state.writer_pool.make_connection()
        try:
            while state.pending:
                state.flush_starting = False
                batch, state.pending = state.pending[:_APPEND_BATCH], state.pending[_APPEND_BATCH:]
                error: BaseException | None = None
                try:
                    if time.monotonic() < self._redis_down_until:
                        raise ConnectionError("Redis marked unavailable")
                    await self._xadd_batch(connection, state.stream_key, batch)
                    if self._fallback is not None and self._fallback.is_open:
                        self._fallback.close()  # Redis is back: hand the file to the drain
                except (RedisError, OSError, TimeoutError) as redis_error:
                    self._redis_failed(redis_error)
                    error = self._to_fallback(batch)
                except Exception:
                    logger.exception("click lane: %d clicks not appended to the stream", len(batch))
                    error = self._to_fallback(batch)
                for _, _, future in batch:
                    if not future.done():
                        if error is None:
                            future.set_result(None)
                        else:
                            future.set_exception(error)
        finally:
            state.flush_starting = False
            state.writers -= 1
            state.idle_writers.append(connection)

    def _to_fallback(self, batch: list[_Pending]) -> OSError | None:
        """The batch into the fallback file. Written twice if Redis took part of it: the
        drain keeps one row per click id."""
        try:
            self.fallback.write([_fallback_entry(link, fields) for link, fields, _ in batch])
        except OSError as error:
            return error
        return None

    @staticmethod
    async def _xadd_batch(connection: Any, stream_key: str, batch: list[_Pending]) -> None:
        """EVALSHA of the append script, packed here: redis-py's generic packing of every
        argument cost more than the rest of the request."""
        parts: list[bytes] = []
        count = 0
        for link, fields, _ in batch:
            packed = _packed(fields)
            arguments = 8 + 2 * len(fields)  # the route's four fields, then these
            parts += (b"$%d\r\n%d\r\n" % (len(str(arguments)), arguments), link.packed_fields, packed)
            count += 1 + arguments
        key = stream_key.encode()
        head = b"*%d\r\n$7\r\nEVALSHA\r\n$40\r\n%s\r\n$1\r\n1\r\n$%d\r\n%s\r\n" % (
            4 + count,
            _APPEND_SCRIPT_SHA,
            len(key),
            key,
        )
        command = b"".join([head, *parts])
        try:
            async with asyncio.timeout(_APPEND_TIMEOUT_SECONDS):
                await connection.send_packed_command(command, check_health=False)
                try:
                    await connection.read_response()
                except NoScriptError:  # a restarted Redis forgot the script
                    await connection.send_command("SCRIPT", "LOAD", _APPEND_SCRIPT)
                    await connection.read_response()
                    await connection.send_packed_command(command, check_health=False)
                    await connection.read_response()
        except BaseException:
            await connection.disconnect(nowait=True)  # reconnects on the next append
            raise

    def _redis_failed(self, error: BaseException) -> None:
        """Skip Redis for a moment: a dead Redis must not cost every click a failed connect."""
        if time.monotonic() >= self._redis_down_until:
            logger.warning("tracking Redis unavailable (%s): clicks go to the fallback file", error)
        self._redis_down_until = time.monotonic() + self.config.redis_retry_seconds


_Pending = tuple[LinkRoute, dict[bytes, bytes], "asyncio.Future[None]"]
_click_id = uuid7_string


def _packed(fields: dict[bytes, bytes]) -> bytes:
    """RESP bulk strings of the field/value pairs."""
    return b"".join(
        [b"$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value) for key, value in fields.items()]
    )


def _fallback_entry(link: LinkRoute, fields: dict[bytes, bytes]) -> dict[str, str]:
    """The same click as a JSON-able object, for the fallback file."""
    entry = dict(link.stream_fields)
    for key, value in fields.items():
        entry[key.decode()] = value.decode("utf-8", "replace")
    return entry


def _first_click_id(cookie: bytes, window_ms: int) -> str | None:
    """The ``afp_click`` cookie's click id, if it is a UUIDv7 no older than the cookie window."""
    start = cookie.find(b"afp_click=")
    while start > 0 and cookie[start - 1 : start] not in (b" ", b";"):
        start = cookie.find(b"afp_click=", start + 1)
    if start < 0:
        return None
    value = cookie[start + 10 : start + 46].decode("latin-1")
    try:
        click_id = uuid.UUID(value)
    except ValueError:
        return None
    if click_id.version != 7 or len(value) != 36:
        return None
    age_ms = time.time_ns() // 1_000_000 - (click_id.int >> 80)
    if -_COOKIE_SKEW_MS <= age_ms <= window_ms:
        return str(click_id)
    return None


def _click_parameters(query: bytes) -> tuple[dict[str, str] | None, dict[str, str] | None]:
    """UTM parameters (for the target) and sub ids (for the click) of the click's query string.
    Nothing else of the query is used: the target never comes from the request."""
    utm: dict[str, str] = {}
    sub_ids: dict[str, str] = {}
    for key, value in parse_qsl(query.decode("latin-1"), encoding="utf-8", errors="replace"):
        if not value:
            continue
        if key in keys.UTM_KEYS:
            utm[key] = value[: keys.SUB_ID_MAX_LENGTH]
        elif key in keys.SUB_ID_KEYS:
            sub_ids[key] = value[: keys.SUB_ID_MAX_LENGTH]
    return utm or None, sub_ids or None


async def _respond(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers.append((b"content-length", str(len(body)).encode()) if body else _CONTENT_LENGTH_0)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ClickLaneRouter:
    """The project's HTTP entry: ``/r/...`` to the click lane, everything else to Django."""

    # Tells Channels' ProtocolTypeRouter this is an ASGI 3 app, so it does not inspect the
    # object on every request to find out.
    _asgi_single_callable = True

    def __init__(self, django_app: ASGIApp, lane: ClickLane | None = None) -> None:
        self.django_app = django_app
        self.lane = lane or ClickLane()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PATH_PREFIX):
            await self.lane(scope, receive, lane_send_counted(send))
        else:
            await self.django_app(scope, receive, send)
