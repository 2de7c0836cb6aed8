"""Sentry: off without SENTRY_DSN; with it, events leave without cookies, auth headers, emails or
IP addresses. The SDK runs for real in a subprocess, with a local transport that captures the
envelopes it would send (no network, and the test process keeps no SDK state)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from core.sentry import scrub_event, scrub_text, sentry_init

SCRIPT = textwrap.dedent(
    """
    import json, logging, sys
    import django
    django.setup()
    import sentry_sdk, structlog
    from sentry_sdk.transport import Transport
    from core.sentry import sentry_init

    captured = []

    class LocalTransport(Transport):
        def capture_envelope(self, envelope):
            for item in envelope.items:
                if item.type in ("event", "transaction"):
                    captured.append(item.payload.json)

    started = sentry_init(dsn="https://public@sentry.invalid/1", transport=LocalTransport)
    scope = sentry_sdk.get_isolation_scope()
    scope.set_user({"id": 42, "email": "ada@example.com", "ip_address": "203.0.113.9", "username": "ada"})
    scope.add_event_processor(lambda event, hint: {**event, "request": {
        "method": "POST",
        "url": "https://alpha.example.com/graphql/?token=magic-secret&email=ada@example.com",
        "query_string": "token=magic-secret",
        "cookies": {"sessionid": "s3ss10n", "csrftoken": "c5rf"},
        "data": {"query": "mutation { login(password: \\"hunter22\\") }"},
        "env": {"REMOTE_ADDR": "203.0.113.9"},
        "headers": {
            "Authorization": "Bearer afp_live_token",
            "Cookie": "sessionid=s3ss10n",
            "X-Forwarded-For": "203.0.113.9, 10.0.0.1",
            "X-CSRFToken": "c5rf",
            "Content-Type": "application/json",
            "User-Agent": "Mozilla/5.0",
            "X-Request-ID": "req-sentry-1",
        },
    }})
    structlog.contextvars.bind_contextvars(request_id="req-sentry-1")
    sentry_sdk.add_breadcrumb(message="login by bob@example.org from 198.51.100.23", category="auth")
    try:
        raise ValueError("no account for carol@example.net at 2001:db8::1 (17:56:57.050)")
    except ValueError:
        logging.getLogger("accounts").exception("login failed for dave@example.com", extra={"password": "hunter22"})
    sentry_sdk.flush()
    print(json.dumps({"started": started, "events": captured}))
    """
)


def _run_sdk() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    env.pop("SENTRY_DSN", None)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sentry_is_off_without_a_dsn():
    assert sentry_init(dsn="") is False


def test_an_error_reaches_sentry_scrubbed_of_personal_data():
    result = _run_sdk()

    assert result["started"] is True
    (event,) = result["events"]
    text = json.dumps(event)
    for secret in (
        "ada@example.com",
        "bob@example.org",
        "carol@example.net",
        "dave@example.com",
        "203.0.113.9",
        "198.51.100.23",
        "2001:db8::1",
        "s3ss10n",
        "c5rf",
        "afp_live_token",
        "magic-secret",
        "hunter22",
    ):
        assert secret not in text, secret
    assert event["user"] == {"id": "42"}
    assert event["request"] == {
        "method": "POST",
        "url": "https://alpha.example.com/graphql/",
        "headers": {
            "Content-Type": "application/json",
            "User-Agent": "Mozilla/5.0",
            "X-Request-ID": "req-sentry-1",
        },
    }
    assert event["tags"]["request_id"] == "req-sentry-1"
    assert "[email]" in text
    assert "[ip]" in text
    assert "17:56:57.050" in text  # a time is not an address
    assert event["logentry"]["message"] == "login failed for [email]"


def test_the_scrubber_keeps_what_identifies_no_one():
    assert (
        scrub_text("order 1234 for 10.0.0.1 by x@y.io at 12:30:45")
        == "order 1234 for [ip] by [email] at 12:30:45"
    )
    event = scrub_event(
        {"extra": {"api_token": "t", "count": 3, "nested": {"session_key": "k", "ok": "fine"}}}
    )
    assert event["extra"] == {
        "api_token": "[Filtered]",
        "count": 3,
        "nested": {"session_key": "[Filtered]", "ok": "fine"},
    }
