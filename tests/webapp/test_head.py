"""The server-rendered head and first screen of a brand's pages: what link-preview crawlers
(which run no JavaScript) and a phone's first paint see."""

from __future__ import annotations

import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context
from PIL import Image

from accounts.models import Role
from marketplace.seo import og_image_key
from marketplace.services import category_create
from tests.conftest import domain_of, make_user
from tests.marketplace.builders import add_image, image_bytes, make_merchant, make_product
from webapp.strings import SERVER_ONLY_KEYS, STRINGS

pytestmark = pytest.mark.usefixtures("built_app")

PREVIEW_AGENTS = {
    "facebook": "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "whatsapp": "WhatsApp/2.23.20.0 A",
    "telegram": "TelegramBot (like TwitterBot)",
    "twitter": "Twitterbot/1.0",
    "linkedin": "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
}


class Tags(HTMLParser):
    """The <head> tags and JSON-LD of a page, and the text of <div id="root">."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.links: list[dict[str, str]] = []
        self.json_ld: list[Any] = []
        self.title = ""
        self.root_text = ""
        self.root_images: list[dict[str, str]] = []
        self._in: str | None = None
        self._root_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if self._root_depth:
            if tag not in ("img", "br", "meta", "link", "input"):
                self._root_depth += 1
            if tag == "img":
                self.root_images.append(attributes)
            return
        if tag == "div" and attributes.get("id") == "root":
            self._root_depth = 1
        elif tag == "meta" and ("property" in attributes or "name" in attributes):
            key = attributes.get("property") or attributes["name"]
            self.meta.setdefault(key, []).append(attributes.get("content", ""))
        elif tag == "link":
            self.links.append(attributes)
        elif tag == "title":
            self._in = "title"
        elif tag == "script" and attributes.get("type") == "application/ld+json":
            self._in = "json-ld"

    def handle_endtag(self, tag: str) -> None:
        if self._root_depth:
            self._root_depth -= 1
            return
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._root_depth:
            self.root_text += data
        elif self._in == "title":
            self.title += data
        elif self._in == "json-ld":
            self.json_ld.append(json.loads(data))

    def one(self, key: str) -> str:
        values = self.meta.get(key, [])
        assert len(values) == 1, f"{key}: {values}"
        return values[0]

    def link(self, rel: str, **attributes: str) -> list[str]:
        return [
            link["href"]
            for link in self.links
            if link.get("rel") == rel and all(link.get(name) == value for name, value in attributes.items())
        ]


def _tags(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    return parser


def _get(client: Client, tenant: Any, path: str, **headers: str):  # type: ignore[no-untyped-def]
    return client.get(path, HTTP_HOST=domain_of(tenant), **headers)


def _image(client: Client, tenant: Any, url: str) -> tuple[str, bytes]:
    """Fetch an image by its public URL as a crawler does: the brand's view, then its redirect
    to the signed storage link (or the file itself)."""
    path = url.split(domain_of(tenant), 1)[1]
    response = _get(client, tenant, path)
    if response.status_code == 302:
        fetched = httpx.get(response["Location"], timeout=10)
        assert fetched.status_code == 200
        return fetched.headers["content-type"], fetched.content
    assert response.status_code == 200, response.status_code
    return response["Content-Type"], b"".join(response.streaming_content)


@pytest.fixture
def deal(brand_a: Any) -> Any:
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        product = make_product(
            merchant,
            title="Sunset cruise",
            summary="Two hours on the river, drinks included",
            description_html="<p>A <strong>lovely</strong> evening.</p>",
        )
        add_image(merchant, product, image_bytes("PNG", (900, 900)), alt_text="The boat")
        add_image(merchant, product, image_bytes("JPEG", (640, 480)), alt_text="The deck")
        product.refresh_from_db()
        return product


@pytest.mark.parametrize("crawler", sorted(PREVIEW_AGENTS))
def test_a_shared_deal_link_previews_richly_for_every_network(client, brand_a, deal, crawler):
    response = _get(client, brand_a, f"/deals/{deal.slug}", HTTP_USER_AGENT=PREVIEW_AGENTS[crawler])

    assert response.status_code == 200
    tags = _tags(response.content.decode())
    base = f"https://{domain_of(brand_a)}"
    url = f"{base}/deals/{deal.slug}"
    assert tags.title == f"Sunset cruise | {brand_a.name}"
    assert tags.one("og:title") == f"Sunset cruise | {brand_a.name}"
    assert tags.one("description") == "Two hours on the river, drinks included"
    assert tags.one("og:description") == "Two hours on the river, drinks included"
    assert tags.link("canonical") == [url]
    assert tags.one("og:url") == url
    assert tags.one("og:type") == "product"
    assert tags.one("og:site_name") == brand_a.name
    assert tags.one("og:locale") == "en_US"
    assert tags.one("twitter:card") == "summary_large_image"
    assert tags.link("alternate", hreflang="en") == [url]
    assert tags.link("alternate", hreflang="x-default") == [url]
    assert tags.one("robots").startswith("index")
    image_url = tags.one("og:image")
    assert tags.one("twitter:image") == image_url
    assert (tags.one("og:image:width"), tags.one("og:image:height")) == ("1200", "630")
    assert tags.one("og:image:alt") == "The boat"
    content_type, body = _image(client, brand_a, image_url)
    picture = Image.open(io.BytesIO(body))
    assert content_type == tags.one("og:image:type") == "image/jpeg"
    assert (picture.format, picture.size) == ("JPEG", (1200, 630))
    [product] = [data for data in tags.json_ld if data["@type"] == "Product"]
    assert product["name"] == "Sunset cruise"
    assert product["offers"]["price"] == "49.90"
    assert product["offers"]["priceCurrency"] == "EUR"
    assert product["offers"]["availability"] == "https://schema.org/InStock"


def test_the_open_graph_picture_is_made_once_and_kept_under_the_brands_prefix(client, brand_a, deal):
    with tenant_context(brand_a):
        first = deal.images.order_by("position").first()
    key = og_image_key(first.file_key)
    url = _tags(_get(client, brand_a, f"/deals/{deal.slug}").content.decode()).one("og:image")

    assert url.endswith(f"/media/{key}")
    _image(client, brand_a, url)
    with tenant_context(brand_a):
        assert default_storage.exists(key)
        stored = default_storage.open(key).read()
    _image(client, brand_a, url)
    with tenant_context(brand_a):
        assert default_storage.open(key).read() == stored  # served from storage, not made again
        assert default_storage.listdir(f"products/{deal.pk}")[1].count(key.rsplit("/", 1)[1]) == 1
    redirect = _get(client, brand_a, f"/media/{key}")
    assert f"/{brand_a.schema_name}/{key}?" in redirect["Location"]


def test_brand_b_cannot_fetch_brand_as_open_graph_picture(client, brand_a, brand_b, deal):
    with tenant_context(brand_a):
        key = og_image_key(deal.images.order_by("position").first().file_key)
    assert _get(client, brand_a, f"/media/{key}").status_code == 302  # made and stored for A

    on_b = _get(client, brand_b, f"/media/{key}")

    assert on_b.status_code == 404
    with tenant_context(brand_b):
        assert not default_storage.exists(key)


def test_a_draft_deal_has_no_picture_for_the_public(client, brand_a):
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        draft = make_product(merchant, active=False, title="Secret")
        image = add_image(merchant, draft, image_bytes())

    assert _get(client, brand_a, f"/media/{og_image_key(image.file_key)}").status_code == 404
    assert _get(client, brand_a, f"/deals/{draft.slug}").status_code == 404


def test_the_served_deal_page_shows_title_price_and_picture_before_any_script(client, brand_a, deal):
    response = _get(client, brand_a, f"/deals/{deal.slug}")

    tags = _tags(response.content.decode())
    assert "Sunset cruise" in tags.root_text
    assert "€49.90" in tags.root_text
    assert "€80.00" in tags.root_text
    assert "A lovely evening." in tags.root_text
    [hero] = [image for image in tags.root_images if "deal-hero-image" in image.get("class", "")]
    with tenant_context(brand_a):
        first = deal.images.order_by("position").first()
    assert hero["src"] == f"/media/{first.file_key}"
    assert hero["fetchpriority"] == "high"
    assert (hero["width"], hero["height"]) == ("900", "900")
    assert hero["alt"] == "The boat"
    assert tags.link("preload") == [hero["src"]]


def test_a_deal_page_costs_a_pinned_number_of_queries(client, brand_a, deal):
    """As many with a gallery of 20 and 5 categories: no query per image, card or category."""
    with tenant_context(brand_a):
        for number in range(3):
            deal.categories.add(category_create(actor=None, name=f"Category {number}"))
    _get(client, brand_a, f"/deals/{deal.slug}")  # warm: the session, the content types

    with CaptureQueriesContext(connection) as queries:
        response = _get(client, brand_a, f"/deals/{deal.slug}")

    assert response.status_code == 200
    # The request's own (canonical host, tenant by host, two search paths, the boot document's
    # primary domain), then the page's: the brand's domains, the product by slug, its merchant
    # profile, its images, its categories and their tree.
    assert len(queries) == QUERIES_DEAL_PAGE, "\n".join(query["sql"] for query in queries)


QUERIES_DEAL_PAGE = 11
QUERIES_DEALS_LIST = 14


def test_the_deals_list_costs_a_pinned_number_of_queries_whatever_its_length(client, brand_a, deal):
    """The first page of 12 cards (images, merchants, ratings), the deal of the day, the chips."""
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        for number in range(14):
            product = make_product(merchant, title=f"Wine tasting {number}")
            product.categories.add(category_create(actor=None, name=f"Wine {number}"))
    _get(client, brand_a, "/deals")

    with CaptureQueriesContext(connection) as queries:
        response = _get(client, brand_a, "/deals")

    assert response.status_code == 200
    assert len(queries) == QUERIES_DEALS_LIST, "\n".join(query["sql"][:120] for query in queries)


def test_an_unknown_deal_still_serves_the_app_with_404_and_noindex(client, brand_a):
    response = _get(client, brand_a, "/deals/no-such-deal")

    html = response.content.decode()
    tags = _tags(html)
    assert response.status_code == 404
    assert tags.one("robots") == "noindex, nofollow"
    assert tags.link("canonical") == []
    assert '<div id="root"></div>' in html  # the app, which shows its own "not found"
    assert re.search(r'<script [^>]*type="module" src="/static/app/', html)


def test_the_deals_list_serves_its_first_page_of_cards(client, brand_a, deal):
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        others = [make_product(merchant, title=f"Wine tasting {number}") for number in range(13)]

    response = _get(client, brand_a, "/deals")

    tags = _tags(response.content.decode())
    html = response.content.decode()
    assert tags.title == f"Deals | {brand_a.name}"
    assert tags.link("canonical") == [f"https://{domain_of(brand_a)}/deals"]
    assert html.count('data-testid="deal-card"') == 12  # the app's first page
    assert len(others) == 13
    filtered = _get(client, brand_a, "/deals?q=wine&sort=PRICE_ASC")
    assert _tags(filtered.content.decode()).one("robots") == "noindex, follow"
    assert _tags(filtered.content.decode()).link("canonical") == [f"https://{domain_of(brand_a)}/deals"]
    assert '<div id="root"></div>' in filtered.content.decode()  # a filtered list: the app's


def test_a_category_page_is_named_after_its_category_and_an_unknown_one_is_404(client, brand_a):
    with tenant_context(brand_a):
        category_create(actor=None, name="Wellness & spa")

    known = _get(client, brand_a, "/deals/category/wellness-spa")
    unknown = _get(client, brand_a, "/deals/category/nothing-here")

    assert known.status_code == 200
    assert _tags(known.content.decode()).title == f"Wellness &amp; spa deals | {brand_a.name}".replace(
        "&amp;", "&"
    )
    assert unknown.status_code == 404
    assert _tags(unknown.content.decode()).one("robots") == "noindex, nofollow"


def test_a_french_brand_speaks_french_to_crawlers(client, brand_b):
    response = _get(client, brand_b, "/deals")

    tags = _tags(response.content.decode())
    assert tags.title == f"Bons plans | {brand_b.name}"
    assert tags.one("og:locale") == "fr_FR"
    assert tags.link("alternate", hreflang="fr") == [f"https://{domain_of(brand_b)}/deals"]
    assert tags.one("description") == STRINGS["fr"]["market.subtitle"]


def test_the_home_page_describes_the_brand(client, brand_a):
    tags = _tags(_get(client, brand_a, "/").content.decode())

    assert tags.title == brand_a.name
    assert tags.one("twitter:card") == "summary"
    types = {data["@type"] for data in tags.json_ld}
    assert types == {"Organization", "WebSite"}
    assert "Grow with" in tags.root_text


@pytest.mark.parametrize("path", ["/program", "/leaderboard", "/faq", "/contact", "/terms", "/privacy"])
def test_every_public_page_has_its_own_title_description_and_canonical(client, brand_a, path):
    tags = _tags(_get(client, brand_a, path).content.decode())

    assert tags.title.endswith(f" | {brand_a.name}")
    assert tags.title != f"Partner program | {brand_a.name}" or path == "/program"
    assert brand_a.name in tags.one("description")
    assert tags.link("canonical") == [f"https://{domain_of(brand_a)}{path}"]
    assert tags.one("robots").startswith("index")


@pytest.mark.parametrize("path", ["/dashboard", "/admin/theme", "/orders/12", "/login", "/no/such/page"])
def test_app_pages_are_not_for_search_engines(client, brand_a, path):
    response = _get(client, brand_a, path)

    tags = _tags(response.content.decode())
    assert response.status_code == 200
    assert tags.one("robots") == "noindex, nofollow"
    assert tags.link("canonical") == []


def test_a_signed_in_visitor_gets_the_head_but_no_prerendered_page(client, brand_a, deal):
    with tenant_context(brand_a):
        client.force_login(make_user(brand_a, role=Role.AFFILIATE))

    html = _get(client, brand_a, f"/deals/{deal.slug}").content.decode()

    assert _tags(html).title == f"Sunset cruise | {brand_a.name}"
    assert '<div id="root"></div>' in html  # their own menus: the app renders the page


def test_a_merchants_words_cannot_break_out_of_the_page(client, brand_a):
    hostile = 'Spa </title><script>alert(1)</script> "quoted" \\1 \\g<0> & more'
    with tenant_context(brand_a):
        merchant = make_merchant(brand_a)
        product = make_product(merchant, title=hostile, summary='</script><script>alert("x")</script>')
        add_image(merchant, product, image_bytes(), alt_text='"><img src=x onerror=alert(1)>')

    html = _get(client, brand_a, f"/deals/{product.slug}").content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    tags = _tags(html)
    assert tags.title == f"{hostile} | {brand_a.name}"
    assert tags.one("og:title") == f"{hostile} | {brand_a.name}"
    assert tags.one("og:image:alt") == '"><img src=x onerror=alert(1)>'
    [data] = tags.json_ld
    assert data["name"] == hostile
    assert hostile in tags.root_text


def test_every_inline_script_of_a_deal_page_carries_the_nonce(client, brand_a, deal):
    response = _get(client, brand_a, f"/deals/{deal.slug}")

    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)  # type: ignore[union-attr]
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert any("ld+json" in script for script in scripts)
    assert all(f'nonce="{nonce}"' in script for script in scripts if "src=" not in script)


def test_the_servers_words_are_the_apps_words():
    """Each string the server writes is the app's own message, in both languages."""
    frontend = re.compile(r'^\s*"([\w.]+)":\s*"((?:[^"\\]|\\.)*)"', re.M)
    from tests.webapp.conftest import FRONTEND

    messages: dict[str, dict[str, str]] = {"en": {}, "fr": {}}
    for language in messages:
        for path in FRONTEND.joinpath("src").rglob(f"*{language}.ts"):
            for key, value in frontend.findall(path.read_text()):
                messages[language].setdefault(key, json.loads(f'"{value}"'))
    for language, catalog in STRINGS.items():
        for key, value in catalog.items():
            if key in SERVER_ONLY_KEYS:
                continue
            assert messages[language].get(key) == value, (language, key)


def test_deleting_an_image_deletes_its_open_graph_picture(
    client, brand_a, deal, django_capture_on_commit_callbacks
):
    from marketplace.services import product_image_delete

    with tenant_context(brand_a):
        first = deal.images.order_by("position").first()
    key = og_image_key(first.file_key)
    _image(client, brand_a, f"https://{domain_of(brand_a)}/media/{key}")

    with tenant_context(brand_a), django_capture_on_commit_callbacks(execute=True):
        product_image_delete(actor=None, image=first)

    with tenant_context(brand_a):
        assert not default_storage.exists(key)
        assert not default_storage.exists(first.file_key)


def test_the_faq_is_served_worded_with_the_programs_own_terms(client, brand_a):
    from affiliation.services import program_create

    with tenant_context(brand_a):
        program_create(
            actor=None,
            name="Partners",
            landing_url="https://example.com/",
            currency="EUR",
            hold_days=14,
            cookie_window_days=45,
        )

    tags = _tags(_get(client, brand_a, "/faq").content.decode())

    assert "Frequently asked questions" in tags.root_text
    assert "It stays pending for 14 days (the refund window)" in tags.root_text
    assert "a first-party cookie for 45 days" in tags.root_text
