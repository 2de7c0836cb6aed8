"""The web app's static files: compressed copies chosen by Accept-Encoding, and hashed names
cached for good (issue 15).

Vite writes name-<hash>.js with .br and .gz copies beside it (frontend/vite-plugins); WhiteNoise
serves them from frontend/dist through the static finders. Both of its ways are covered: a look
up per request (DEBUG, as `make run` serves) and an index built at start-up (production).
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

from tests.conftest import domain_of

SCRIPT = b"export const answer = 42;\n" * 400


def brotli_of(data: bytes) -> bytes:
    """A stand-in for a brotli copy: its bytes only need to differ from the other copies'."""
    return b"BR" + zlib.compress(data)


@pytest.fixture
def dist(tmp_path: Path, settings) -> Path:  # type: ignore[no-untyped-def]
    """A build output with one hashed script (and its copies) and the playground's unhashed file."""
    assets = tmp_path / "app" / "assets"
    assets.mkdir(parents=True)
    (assets / "index-AbC_12-x.js").write_bytes(SCRIPT)
    (assets / "index-AbC_12-x.js.br").write_bytes(brotli_of(SCRIPT))
    (assets / "index-AbC_12-x.js.gz").write_bytes(gzip.compress(SCRIPT))
    (tmp_path / "playground").mkdir()
    (tmp_path / "playground" / "graphiql.min.js").write_bytes(SCRIPT)
    settings.STATICFILES_DIRS = [tmp_path]
    finders.get_finder.cache_clear()  # the finder reads STATICFILES_DIRS once
    yield tmp_path
    finders.get_finder.cache_clear()


@pytest.fixture(params=["per-request lookup (make run)", "index at start-up (production)"])
def static_client(request, dist, settings) -> Client:  # type: ignore[no-untyped-def]
    settings.WHITENOISE_AUTOREFRESH = request.param.startswith("per-request")
    return Client()  # its handler, and so WhiteNoise, is built on the first request


def test_a_hashed_script_is_sent_brotli_to_a_browser_that_accepts_it(static_client, brand_a):
    response = static_client.get(
        "/static/app/assets/index-AbC_12-x.js",
        HTTP_HOST=domain_of(brand_a),
        HTTP_ACCEPT_ENCODING="gzip, deflate, br",
    )
    assert response.status_code == 200
    assert response["Content-Encoding"] == "br"
    assert b"".join(response.streaming_content) == brotli_of(SCRIPT)
    assert response["Vary"] == "Accept-Encoding"
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Cache-Control"] == "max-age=315360000, public, immutable"


def test_gzip_when_brotli_is_not_accepted_and_plain_when_nothing_is(static_client, brand_a):
    host = domain_of(brand_a)
    zipped = static_client.get(
        "/static/app/assets/index-AbC_12-x.js", HTTP_HOST=host, HTTP_ACCEPT_ENCODING="gzip"
    )
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(b"".join(zipped.streaming_content)) == SCRIPT
    assert zipped["Vary"] == "Accept-Encoding"
    assert "immutable" in zipped["Cache-Control"]

    plain = static_client.get("/static/app/assets/index-AbC_12-x.js", HTTP_HOST=host)
    assert "Content-Encoding" not in plain
    assert b"".join(plain.streaming_content) == SCRIPT
    assert plain["Vary"] == "Accept-Encoding"


def test_an_unhashed_file_is_not_cached_for_good(static_client, brand_a):
    response = static_client.get(
        "/static/playground/graphiql.min.js", HTTP_HOST=domain_of(brand_a), HTTP_ACCEPT_ENCODING="br"
    )
    assert response.status_code == 200
    assert "immutable" not in response["Cache-Control"]
    assert "Content-Encoding" not in response  # no copies beside it


def test_the_app_page_itself_is_never_cached(client, brand_a, built_app):
    response = client.get("/", HTTP_HOST=domain_of(brand_a))
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    assert "immutable" not in response["Cache-Control"]
