"""Security headers on every page type, the CSP nonce on every inline script and style, and
the CSP report endpoint (both report formats, capped, throttled, CSRF-exempt)."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import Client

from tests.conftest import domain_of

NONCE_IN_HEADER = re.compile(r"script-src [^;]*'nonce-([A-Za-z0-9+/=]+)'")
INLINE_TAGS = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)


def _directives(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {
        part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else "" for part in header.split("; ")
    }


def assert_nonce_on_every_inline_tag(response) -> str:  # type: ignore[no-untyped-def]
    """The response's CSP has a nonce for scripts and styles, and every <script>/<style> of the
    page carries exactly that nonce (the policy allows nothing else inline)."""
    directives = _directives(response)
    match = NONCE_IN_HEADER.search(response["Content-Security-Policy"])
    assert match, response["Content-Security-Policy"]
    nonce = match.group(1)
    assert f"'nonce-{nonce}'" in directives["style-src"]
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-inline'" not in directives["style-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    tags = INLINE_TAGS.findall(response.content.decode())
    assert tags, "no script or style element on the page"
    for name, attributes in tags:
        assert f'nonce="{nonce}"' in attributes, f"<{name}{attributes}> has no (or another) nonce"
    return nonce


def assert_security_headers(response) -> None:  # type: ignore[no-untyped-def]
    directives = _directives(response)
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert directives["default-src"] == "'self'"
    assert directives["report-uri"] == "/csp-report/"
    assert directives["report-to"] == "csp-endpoint"
    assert response["Reporting-Endpoints"] == 'csp-endpoint="/csp-report/"'
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    permissions = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions


@pytest.mark.parametrize("path", ["/", "/deals/some-deal", "/dashboard", "/console/brands", "/no/such/page"])
def test_every_brand_page_has_the_policy_and_its_nonce_on_every_inline_tag(client, brand_a, built_app, path):
    response = client.get(path, HTTP_HOST=domain_of(brand_a))

    # An unknown deal is the app's "not found" page, with its status (webapp.head).
    assert response.status_code == (404 if path == "/deals/some-deal" else 200)
    assert_security_headers(response)
    assert_nonce_on_every_inline_tag(response)


def test_the_nonce_is_new_on_every_page_view(client, brand_a, built_app):
    first = assert_nonce_on_every_inline_tag(client.get("/", HTTP_HOST=domain_of(brand_a)))
    second = assert_nonce_on_every_inline_tag(client.get("/", HTTP_HOST=domain_of(brand_a)))

    assert first != second


def test_the_real_build_keeps_its_inline_colour_mode_script_under_the_nonce(client, brand_a):
    """The built index.html has an inline script of its own (the colour mode before first paint)."""
    response = client.get("/", HTTP_HOST=domain_of(brand_a))
    if response.status_code == 503:
        pytest.skip("the web app is not built")

    nonce = assert_nonce_on_every_inline_tag(response)
    assert f'<script nonce="{nonce}">' in response.content.decode()


def test_the_operator_console_has_the_policy(client, public_tenant, built_app):
    response = client.get("/", HTTP_HOST=domain_of(public_tenant))

    assert response.status_code == 200
    assert_security_headers(response)
    assert_nonce_on_every_inline_tag(response)


def test_the_graphiql_playground_runs_under_the_policy(client, brand_a):
    response = client.get("/graphql/", HTTP_HOST=domain_of(brand_a), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert_security_headers(response)
    nonce = assert_nonce_on_every_inline_tag(response)
    assert response.content.decode().count(f'nonce="{nonce}"') == 6  # 1 style, 4 scripts files, 1 inline


def test_a_django_404_has_the_policy(client, brand_a):
    response = client.get("/media/no/such/image.webp", HTTP_HOST=domain_of(brand_a))

    assert response.status_code == 404
    assert_security_headers(response)


def test_api_answers_have_the_headers_too(client, brand_a):
    response = client.post(
        "/graphql/",
        {"query": "{ brand { name } }"},
        content_type="application/json",
        HTTP_HOST=domain_of(brand_a),
    )

    assert response.status_code == 200
    assert_security_headers(response)


def test_images_may_come_from_the_storage_endpoint_and_the_websocket_from_the_same_host(
    client, brand_a, built_app, settings
):
    host = domain_of(brand_a)
    response = client.get("/", HTTP_HOST=host)

    directives = _directives(response)
    assert settings.AWS_S3_ENDPOINT_URL in directives["img-src"].split()
    assert "data:" in directives["img-src"].split()
    assert f"ws://{host}" in directives["connect-src"].split()
    assert "'self'" in directives["connect-src"].split()


def test_a_custom_storage_domain_is_the_image_origin(client, brand_a, built_app, settings):
    settings.AWS_S3_CUSTOM_DOMAIN = "media.example.net"

    directives = _directives(client.get("/", HTTP_HOST=domain_of(brand_a)))

    assert "https://media.example.net" in directives["img-src"].split()


# --- /csp-report/ ------------------------------------------------------------------------------

REPORT_URI_BODY = {
    "csp-report": {
        "document-uri": "http://alpha.localhost/deals/x",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "blocked-uri": "https://evil.example/x.js",
    }
}
REPORT_TO_BODY = [
    {
        "type": "csp-violation",
        "url": "http://alpha.localhost/",
        "body": {
            "documentURL": "http://alpha.localhost/",
            "effectiveDirective": "style-src-attr",
            "blockedURL": "inline",
            "disposition": "enforce",
        },
    }
]


def _report(client: Client, tenant, body, content_type: str, **extra):  # type: ignore[no-untyped-def]
    return client.post(
        "/csp-report/",
        data=json.dumps(body),
        content_type=content_type,
        HTTP_HOST=domain_of(tenant),
        **extra,
    )


def test_a_report_uri_report_is_logged_with_the_brand(brand_a, caplog):
    client = Client(enforce_csrf_checks=True)  # browsers send no CSRF token with reports
    with caplog.at_level(logging.WARNING, logger="security.csp"):
        response = _report(client, brand_a, REPORT_URI_BODY, "application/csp-report", REMOTE_ADDR="10.9.0.1")

    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "security.csp"]
    assert record.levelno == logging.WARNING
    assert brand_a.name in record.getMessage()
    assert "script-src-elem" in record.getMessage()
    assert "https://evil.example/x.js" in record.getMessage()


def test_a_reporting_api_report_is_logged_with_the_brand(brand_a, caplog):
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING, logger="security.csp"):
        response = _report(
            client, brand_a, REPORT_TO_BODY, "application/reports+json", REMOTE_ADDR="10.9.0.2"
        )

    assert response.status_code == 204
    [record] = [r for r in caplog.records if r.name == "security.csp"]
    assert brand_a.name in record.getMessage()
    assert "style-src-attr" in record.getMessage()


def test_reports_are_capped_typed_and_posted(client, brand_a, settings):
    settings.CSP_REPORT_MAX_BYTES = 200
    big = {"csp-report": {"document-uri": "x" * 500}}

    assert _report(client, brand_a, big, "application/csp-report", REMOTE_ADDR="10.9.0.3").status_code == 413
    assert _report(client, brand_a, {}, "text/html", REMOTE_ADDR="10.9.0.3").status_code == 415
    assert client.get("/csp-report/", HTTP_HOST=domain_of(brand_a)).status_code == 405
    bad = client.post(
        "/csp-report/", data="{not json", content_type="application/csp-report", HTTP_HOST=domain_of(brand_a)
    )
    assert bad.status_code == 400


def test_reports_are_throttled_per_ip_and_brand(client, brand_a, brand_b, settings, caplog):
    settings.CSP_REPORT_RATE_LIMIT = 3
    ip = "10.9.1.1"
    with caplog.at_level(logging.WARNING, logger="security.csp"):
        answers = [
            _report(client, brand_a, REPORT_URI_BODY, "application/csp-report", REMOTE_ADDR=ip).status_code
            for _ in range(5)
        ]
        other_ip = _report(client, brand_a, REPORT_URI_BODY, "application/csp-report", REMOTE_ADDR="10.9.1.2")
        other_brand = _report(client, brand_b, REPORT_URI_BODY, "application/csp-report", REMOTE_ADDR=ip)

    assert answers == [204, 204, 204, 429, 429]
    assert other_ip.status_code == 204
    assert other_brand.status_code == 204
    assert len([r for r in caplog.records if r.name == "security.csp"]) == 5
