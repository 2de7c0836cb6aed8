"""The web app's pages: the built index.html, served on every brand host with the brand's theme,
language and first data inlined, and the operator console on the root domain."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import Client
from django_tenants.utils import tenant_context
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import Role
from tenants.services import brand_update
from tests.conftest import domain_of, make_user
from tests.webapp.conftest import FRONTEND
from themes import css_variables, get_theme, merge_overrides, override_problems
from webapp.pages import PageContext, json_for_script, render_index, theme_style


def _page(client: Client, host: str, path: str = "/"):  # type: ignore[no-untyped-def]
    return client.get(path, HTTP_HOST=host)


def _boot(html: str) -> dict:
    match = re.search(r'<script id="boot-data" type="application/json"[^>]*>(.*?)</script>', html, re.S)
    assert match, "no boot data in the page"
    return json.loads(match.group(1))


def test_a_brand_page_is_themed_and_in_the_brand_language_before_any_script_runs(client, brand_b, built_app):
    response = _page(client, domain_of(brand_b), "/dashboard")

    html = response.content.decode()
    aurum = get_theme("aurum")
    assert response.status_code == 200
    assert '<html lang="fr" data-host="brand" data-theme="aurum">' in html
    assert f"--color-primary:{aurum['colors']['primary']}" in html
    assert f"--color-background:{aurum['darkColors']['background']}" in html.split('[data-mode="dark"]')[1]
    assert f'<meta name="theme-color" content="{aurum["colors"]["background"]}" />' in html
    assert f"<title>{brand_b.name}</title>" in html
    assert "csrftoken" in response.cookies
    assert "no-cache" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_the_boot_data_is_what_the_boot_query_answers(client, brand_a, built_app):
    user = make_user(brand_a, role=Role.AFFILIATE)
    with tenant_context(brand_a):
        client.force_login(user)

    boot = _boot(_page(client, domain_of(brand_a), "/wallet").content.decode())

    brand = boot["data"]["brand"]
    assert brand["name"] == brand_a.name
    assert brand["language"] == "EN"
    assert brand["theme"]["name"] == "default"
    assert brand["theme"]["colors"]["primary"] == get_theme("default")["colors"]["primary"]
    assert boot["data"]["me"] == {
        "id": str(user.pk),
        "email": user.email,
        "fullName": "",
        "role": "AFFILIATE",
    }


def test_every_app_path_gets_the_app_and_server_paths_do_not(client, brand_a, built_app):
    host = domain_of(brand_a)
    for path in ("/", "/links/12", "/admin/theme", "/analytics", "/login/magic?token=x", "/no/such/page"):
        assert _page(client, host, path).status_code == 200, path
    assert _page(client, host, "/static/app/missing.js").status_code == 404
    assert _page(client, host, "/graphql").status_code == 400  # the API (no query), not the app
    assert client.post("/dashboard", HTTP_HOST=host).status_code == 405


def test_the_root_domain_serves_the_operator_console(client, public_tenant, built_app):
    operator = make_user(public_tenant, role=Role.OPERATOR)
    client.force_login(operator)

    html = _page(client, domain_of(public_tenant)).content.decode()

    assert 'data-host="root"' in html
    assert 'data-theme="default"' in html
    boot = _boot(html)
    assert boot["data"]["brand"] is None
    assert boot["data"]["me"]["role"] == "OPERATOR"


def test_the_csrf_endpoint_sets_the_cookie_for_the_dev_server(client, brand_a):
    response = client.get("/csrf/", HTTP_HOST=domain_of(brand_a))

    assert response.status_code == 204
    assert "csrftoken" in response.cookies


def test_an_unbuilt_app_says_how_to_build_it(client, brand_a, settings, tmp_path):
    settings.WEBAPP_DIST_DIR = tmp_path / "nothing"

    response = _page(client, domain_of(brand_a))

    assert response.status_code == 503
    assert b"make assets" in response.content


def test_a_brand_name_cannot_break_out_of_the_page(client, brand_a, built_app):
    with tenant_context(brand_a):
        brand_update(
            actor=None, tenant=brand_a, name="</script><script>alert(1)</script>", theme=None, language=None
        )
    connection.set_schema_to_public()

    html = _page(client, domain_of(brand_a)).content.decode()

    assert "<script>alert(1)" not in html
    assert _boot(html)["data"]["brand"]["name"] == "</script><script>alert(1)</script>"


def test_render_index_inlines_both_palettes():
    tokens = get_theme("vivid")
    page = PageContext(language="en", host_kind="brand", title="T", tokens=tokens, boot=None)

    html = render_index('<html lang="en"><head><title>x</title></head><body></body></html>', page)

    style = theme_style(tokens)
    assert style in html
    light, dark = style.split(':root[data-mode="dark"]')
    for name, value in css_variables(tokens).items():
        assert f"{name}:{value}" in light
    for name, value in css_variables(tokens, dark=True).items():
        assert f"{name}:{value}" in dark
    assert "boot-data" not in html


def test_an_unsafe_token_value_is_replaced_by_the_named_themes(caplog):
    tokens = dict(get_theme("default"), radius="1px}body{display:none")

    style = theme_style(tokens)

    assert "display:none" not in style
    assert f"--radius:{get_theme('default')['radius']};" in style
    assert "unsafe CSS value for --radius" in caplog.text


FONT_ALPHABET = "aZé9 -_.,'\"()/:;!*@#%+{}<>\\\n\t"


@hypothesis_settings(max_examples=400, deadline=None)
@given(font=st.one_of(st.text(alphabet=FONT_ALPHABET, max_size=30), st.text(max_size=30)))
def test_a_font_accepted_at_save_is_inlined_as_is_and_cannot_leave_its_declaration(font):
    """One rule: what brandUpdate accepts, the page inlines unchanged; nothing else gets in."""
    tokens = get_theme("default")
    accepted = override_problems(tokens, {"typography": {"fontFamily": font}}) == []

    style = theme_style(merge_overrides(tokens, {"typography": {"fontFamily": font}}))

    assert (f"--font-family:{font};" in style) == accepted
    if accepted:
        assert not set(font) & set(";{}<>\\/:!*@\n\r")
        assert font.count("'") % 2 == 0
        assert font.count('"') % 2 == 0


def test_json_for_script_cannot_close_the_script():
    text = json_for_script({"name": "</script><!-- & \u2028"})

    assert "<" not in text
    assert ">" not in text
    assert json.loads(text) == {"name": "</script><!-- & \u2028"}


def test_the_build_ships_the_boot_document_of_the_sources():
    """`npm run build` copies src/api/boot.graphql beside index.html (Django runs that copy)."""
    built = FRONTEND / "dist" / "app" / "boot.graphql"
    if not built.exists():
        pytest.fail("frontend/dist/app is not built: run `make assets`")
    assert built.read_text() == (FRONTEND / "src" / "api" / "boot.graphql").read_text()
