"""The server-rendered ``<head>`` (and, for the public pages, the first screen of content) of
every page of a brand's host.

Link-preview crawlers (WhatsApp, Telegram, Facebook, X, LinkedIn) never run JavaScript, and a
phone should paint the deal before the bundle has loaded: so the page's title, description,
canonical URL, Open Graph and Twitter card tags, JSON-LD and ``hreflang`` alternates come with
the HTML, in the brand's language.

The path is resolved here, cheaply: a fixed table for the static pages, and for
``/deals/<slug>`` and ``/deals/category/<slug>`` the same GraphQL documents the app runs, executed
in process (as the boot document is): the page shows exactly what the API says, computed by the
same services (``marketplace.seo.product_seo`` for the deal's SEO data), in a handful of indexed
queries (pinned in tests/webapp/test_head.py). An unknown deal or category answers 404 with
``noindex``, and still serves the app, which shows its own "not found".
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import format_currency
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone

from graphql_schema.context import GraphQLContext
from graphql_schema.schema import schema
from marketplace.seo import OG_IMAGE_CONTENT_TYPE, OG_IMAGE_HEIGHT, OG_IMAGE_WIDTH, seo_description
from tenants.models import Tenant
from tenants.selectors import brand_base_url
from webapp.pages import json_for_script
from webapp.strings import SORTS, STRINGS, text

logger = logging.getLogger(__name__)

# Cards show a countdown for deals ending within this many hours (the app's SOON_HOURS).
CARD_COUNTDOWN_HOURS = 72
OG_LOCALES = {"en": "en_US", "fr": "fr_FR"}
INDEX = "index, follow, max-image-preview:large"
NOINDEX = "noindex, nofollow"
# The public pages of a brand: path -> (title key, description key). Everything else on a brand
# host is the signed-in app (dashboard, admin, checkout...) or a form: not for search engines.
STATIC_PAGES = {
    "/program": ("nav.program", "meta.program"),
    "/leaderboard": ("leaderboard.title", "meta.leaderboard"),
    "/faq": ("faq.title", "meta.faq"),
    "/contact": ("contact.title", "meta.contact"),
    "/terms": ("nav.terms", "meta.terms"),
    "/privacy": ("nav.privacyPolicy", "meta.privacy"),
}
# Titles of the pages a visitor may land on from a link (the app renames the tab when it runs).
APP_TITLES = {"/login": "nav.login", "/signup": "nav.signup"}

DEAL_DOCUMENT = """
query PageDeal($slug: String!) {
  product(slug: $slug) {
    slug title summary status discountPercent isFeatured isDealOfTheDay isAvailable
    descriptionHtml
    price { amount currency }
    originalPrice { amount currency }
    merchant { displayName }
    images { url altText width height }
    categories { name slug ancestors { name slug } }
    seo { title description canonicalUrl openGraphImage jsonLd }
  }
}
"""
CARD_FIELDS = """
    slug title summary discountPercent isFeatured isDealOfTheDay stock expiresAt
    price { amount currency }
    originalPrice { amount currency }
    location { address }
    images { thumbnailUrl altText }
    merchant { displayName }
    reviewSummary { count average }
"""
# The app's first page of the list (pages/marketplace/Marketplace.tsx: 12, RELEVANCE) and its
# deal of the day; the categories for the chips and the category's own name.
DEALS_DOCUMENT = (
    """
query PageDeals($filter: MarketplaceFilter, $spotlight: Boolean!) {
  marketplace(filter: $filter, sort: RELEVANCE, first: 12) { edges { node { ...Card } } }
  spotlight: marketplace(filter: {dealOfTheDay: true}, sort: RELEVANCE, first: 1) @include(if: $spotlight) {
    edges { node { ...Card } }
  }
  categories { name slug }
}
fragment Card on Product {"""
    + CARD_FIELDS
    + "}"
)
HOME_DOCUMENT = "query PageHome { programs { description isActive } }"
PROGRAMS_DOCUMENT = """
query PagePrograms { programs { isActive holdDays cookieWindowDays minimumWithdrawal { amount currency } } }
"""
CATEGORY_DOCUMENT = (
    "query PageCategory { categories { name slug children { name slug children { name slug } } } }"
)


@dataclass(frozen=True)
class Image:
    url: str
    width: int
    height: int
    content_type: str
    alt: str


@dataclass
class PageHead:
    """What the server says about a page before the app runs."""

    title: str
    description: str = ""
    canonical_url: str = ""
    robots: str = NOINDEX
    og_type: str = "website"
    image: Image | None = None
    json_ld: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    # The largest picture of the first screen: preloaded, fetched first.
    preload_image: str = ""
    # The page's main content, prerendered into <div id="root"> (see webapp.prerender); empty:
    # the app renders it.
    template: str = ""
    context: dict[str, Any] = field(default_factory=dict)


def _run(
    request: HttpRequest, document: str, variables: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """An API document executed in process for this visitor (as the boot document is)."""
    context = GraphQLContext(
        tenant=request.tenant,  # type: ignore[attr-defined]
        user=request.user,
        request=request,
        response=HttpResponse(),
    )
    result = schema.execute_sync(document, variable_values=variables, context_value=context)
    if result.errors:
        logger.error("page document failed: %s", "; ".join(str(error) for error in result.errors))
        return None
    return result.data


def _organization(tenant: Tenant, base_url: str) -> list[dict[str, Any]]:
    return [
        {
            "@context": "https://schema.org",
            "@type": "Organization",
            "name": tenant.name,
            "url": base_url + "/",
        },
        {
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": tenant.name,
            "url": base_url + "/",
            "inLanguage": tenant.language,
            "potentialAction": {
                "@type": "SearchAction",
                "target": {"@type": "EntryPoint", "urlTemplate": base_url + "/deals?q={search_term_string}"},
                "query-input": "required name=search_term_string",
            },
        },
    ]


def brand_page_head(request: HttpRequest, tenant: Tenant) -> PageHead:
    """The head of ``request.path`` on ``tenant``'s host."""
    language = tenant.language
    base_url = brand_base_url(tenant)
    path = request.path.rstrip("/") or "/"
    brand = tenant.name
    signed_in = bool(getattr(request.user, "is_authenticated", False))

    def titled(title: str) -> str:
        return f"{title} | {brand}"

    if path == "/":
        programs = [] if signed_in else (_run(request, HOME_DOCUMENT) or {"programs": []})["programs"]
        active = [program for program in programs if program["isActive"]]
        return PageHead(
            title=brand,
            description=text(language, "home.lead"),
            canonical_url=base_url + "/",
            robots=INDEX,
            json_ld=_organization(tenant, base_url),
            template="" if signed_in else "webapp/prerender/home.html",
            context={
                "page": "home",
                "title": text(language, "home.title", brand=brand),
                "lead": (active[0]["description"] if active else "") or text(language, "home.lead"),
            },
        )
    if path in STATIC_PAGES:
        title_key, description_key = STATIC_PAGES[path]
        title = text(language, title_key, brand=brand)
        head = PageHead(
            title=titled(title),
            description=text(language, description_key, brand=brand),
            canonical_url=base_url + path,
            robots=INDEX,
        )
        if path in ("/faq", "/program") and not signed_in:
            _program_page(request, head, path, language, brand)
        return head
    if path == "/deals" or path.startswith("/deals/category/"):
        return _deals_head(request, tenant, path, base_url, signed_in)
    if path.startswith("/deals/") and path.count("/") == 2:
        return _deal_head(request, tenant, path.removeprefix("/deals/"), signed_in)
    key = APP_TITLES.get(path)
    return PageHead(title=titled(text(language, key)) if key else brand)


def _program_page(request: HttpRequest, head: PageHead, path: str, language: str, brand: str) -> None:
    """The FAQ's questions and answers (worded with the program's own hold period, cookie
    window and minimum, as the app words them) or the program page's heading, prerendered."""
    programs = (_run(request, PROGRAMS_DOCUMENT) or {"programs": []})["programs"]
    program = next((item for item in programs if item["isActive"]), None)
    if path == "/program":
        head.template = "webapp/prerender/program.html"
        head.context = {
            "page": "program",
            "heading": text(language, "program.title", brand=brand),
            "subtitle": text(language, "program.subtitle"),
        }
        return
    params = {
        "brand": brand,
        "hold": str(program["holdDays"] if program else 30),
        "cookie": str(program["cookieWindowDays"] if program else 30),
        "minimum": money_text(program["minimumWithdrawal"], language) if program else "—",
    }
    head.template = "webapp/prerender/faq.html"
    head.context = {
        "page": "faq",
        "heading": text(language, "faq.title"),
        "subtitle": text(language, "faq.subtitle", **params),
        "questions": [
            (text(language, f"faq.q{number}", **params), text(language, f"faq.a{number}", **params))
            for number in range(1, 7)
        ],
    }


def _deals_head(request: HttpRequest, tenant: Tenant, path: str, base_url: str, signed_in: bool) -> PageHead:
    language = tenant.language
    category_slug = path.removeprefix("/deals/category/") if path != "/deals" else None
    title = text(language, "market.title")
    if category_slug is not None:
        names = _category_names(request)
        if category_slug not in names:
            return PageHead(title=f"{text(language, 'page.notFound')} | {tenant.name}", status=404)
        title = text(language, "market.categoryTitle", category=names[category_slug])
    # Filters and sorts are views of the same list: one canonical page; a search result page
    # is not indexed (endless, thin), but its links are followed.
    filtered = bool(request.GET)
    head = PageHead(
        title=f"{title} | {tenant.name}",
        description=text(language, "market.subtitle"),
        canonical_url=base_url + path,
        robots="noindex, follow" if "q" in request.GET else INDEX,
    )
    if filtered or signed_in:
        return head  # the app renders a filtered list (the prerender is the unfiltered first page)
    data = _run(
        request,
        DEALS_DOCUMENT,
        {"filter": {"categorySlug": category_slug}, "spotlight": category_slug is None},
    )
    if data is None:
        return head
    cards = [_card(edge["node"], language) for edge in data["marketplace"]["edges"]]
    spotlight = [_card(edge["node"], language) for edge in (data.get("spotlight") or {"edges": []})["edges"]]
    head.template = "webapp/prerender/deals.html"
    head.context = {
        "page": "deals",
        "heading": title,
        "sorts": [{"value": sort, "label": text(language, f"sort.{sort}")} for sort in SORTS],
        "cards": cards,
        "spotlight": spotlight[0] if spotlight else None,
        "categories": data["categories"],
        "category_slug": category_slug,
    }
    first = spotlight[0] if spotlight else (cards[0] if cards else None)
    if first and first["image_src"]:
        head.preload_image = first["image_src"]
    return head


def _category_names(request: HttpRequest) -> dict[str, str]:
    data = _run(request, CATEGORY_DOCUMENT) or {"categories": []}
    names: dict[str, str] = {}
    stack = list(data["categories"])
    while stack:
        node = stack.pop()
        names[node["slug"]] = node["name"]
        stack.extend(node.get("children") or [])
    return names


def _deal_head(request: HttpRequest, tenant: Tenant, slug: str, signed_in: bool) -> PageHead:
    language = tenant.language
    data = _run(request, DEAL_DOCUMENT, {"slug": slug})
    deal = data["product"] if data else None
    if deal is None:
        return PageHead(title=f"{text(language, 'deal.notFound')} | {tenant.name}", status=404)
    seo = deal["seo"]
    image = (
        Image(
            url=seo["openGraphImage"],
            width=OG_IMAGE_WIDTH,
            height=OG_IMAGE_HEIGHT,
            content_type=OG_IMAGE_CONTENT_TYPE,
            alt=deal["images"][0]["altText"] or deal["title"],
        )
        if seo["openGraphImage"]
        else None
    )
    category = deal["categories"][0] if deal["categories"] else None
    hero = _local(deal["images"][0]["url"]) if deal["images"] else ""
    return PageHead(
        title=seo["title"],
        description=seo["description"],
        canonical_url=seo["canonicalUrl"],
        # A draft or paused deal (shown to its merchant) is not for search engines.
        robots=INDEX if deal["status"] == "ACTIVE" else NOINDEX,
        og_type="product",
        image=image,
        json_ld=[seo["jsonLd"]],
        preload_image=hero,
        template="" if signed_in else "webapp/prerender/deal.html",
        context={
            "page": "deal",
            "deal": deal,
            "price": _price(deal, language),
            "image": {**deal["images"][0], "src": hero} if deal["images"] else None,
            "crumbs": [*category["ancestors"], category] if category else [],
            "summary": seo_description(deal["summary"]) if deal["summary"] else "",
        },
    )


def head_html(head: PageHead, *, language: str, site_name: str, nonce: str) -> str:
    """The tags for ``<head>``: escaped (titles and descriptions come from merchants)."""
    escape = html.escape
    nonce_attribute = f' nonce="{escape(nonce)}"' if nonce else ""
    tags = [f'<meta name="robots" content="{escape(head.robots)}" />']
    if head.description:
        tags.append(f'<meta name="description" content="{escape(head.description)}" />')
    if head.canonical_url:
        url = escape(head.canonical_url)
        tags += [
            f'<link rel="canonical" href="{url}" />',
            f'<link rel="alternate" hreflang="{escape(language)}" href="{url}" />',
            f'<link rel="alternate" hreflang="x-default" href="{url}" />',
            f'<meta property="og:url" content="{url}" />',
        ]
    tags += [
        f'<meta property="og:type" content="{escape(head.og_type)}" />',
        f'<meta property="og:title" content="{escape(head.title)}" />',
        f'<meta property="og:site_name" content="{escape(site_name)}" />',
        f'<meta property="og:locale" content="{escape(OG_LOCALES.get(language, language))}" />',
        f'<meta name="twitter:card" content="{"summary_large_image" if head.image else "summary"}" />',
        f'<meta name="twitter:title" content="{escape(head.title)}" />',
    ]
    if head.description:
        tags += [
            f'<meta property="og:description" content="{escape(head.description)}" />',
            f'<meta name="twitter:description" content="{escape(head.description)}" />',
        ]
    if head.image:
        image = head.image
        tags += [
            f'<meta property="og:image" content="{escape(image.url)}" />',
            f'<meta property="og:image:secure_url" content="{escape(image.url)}" />',
            f'<meta property="og:image:type" content="{escape(image.content_type)}" />',
            f'<meta property="og:image:width" content="{image.width}" />',
            f'<meta property="og:image:height" content="{image.height}" />',
            f'<meta property="og:image:alt" content="{escape(image.alt)}" />',
            f'<meta name="twitter:image" content="{escape(image.url)}" />',
            f'<meta name="twitter:image:alt" content="{escape(image.alt)}" />',
        ]
    if head.preload_image:
        tags.append(
            f'<link rel="preload" as="image" href="{escape(head.preload_image)}" fetchpriority="high" />'
        )
    for data in head.json_ld:
        tags.append(f'<script type="application/ld+json"{nonce_attribute}>{json_for_script(data)}</script>')
    # Marked, so the app drops them when it shows another page (frontend/src/app/prerender.ts).
    return "".join(tag.replace(" ", ' data-head="server" ', 1) for tag in tags)


def _local(url: str) -> str:
    """A URL on the page's own host as a path (as the app's ``localUrl`` does): the page's own
    scheme and port apply (a test server, a brand behind a proxy)."""
    parts = urlsplit(url)
    if not parts.path.startswith("/media/"):
        return url
    return parts.path + (f"?{parts.query}" if parts.query else "")


def prerender_html(head: PageHead, *, tenant: Tenant) -> str:
    """The page's first screen for ``<div id="root">`` ('' when the app renders it alone)."""
    if not head.template:
        return ""
    return render_to_string(
        head.template,
        {
            **head.context,
            "brand": tenant.name,
            "language": tenant.language,
            "t": _template_strings(tenant.language),
        },
    )


def _template_strings(language: str) -> dict[str, str]:
    """The language's strings with template-friendly names: ``nav.home`` as ``t.nav_home``."""
    catalog = {**STRINGS["en"], **STRINGS.get(language, {})}
    return {key.replace(".", "_"): value for key, value in catalog.items()}


def money_text(value: dict[str, str], language: str) -> str:
    """As the app's ``i18n.money`` writes it (Intl and Babel share CLDR's patterns)."""
    return format_currency(Decimal(value["amount"]), value["currency"], locale=language)


def discount_text(discount_percent: str, language: str) -> str:
    """The app's ``discountLabel``: whole percent, rounded down; '' for no saving."""
    whole = int(Decimal(discount_percent or "0"))
    if whole <= 0:
        return ""
    minus = "\u2212"  # the typographic minus the app writes
    return f"{minus}{whole} %" if language == "fr" else f"{minus}{whole}%"


def _price(deal: dict[str, Any], language: str) -> dict[str, Any]:
    return {
        "now": money_text(deal["price"], language),
        "was": money_text(deal["originalPrice"], language)
        if Decimal(deal["originalPrice"]["amount"]) > Decimal(deal["price"]["amount"])
        else "",
        "discount": discount_text(deal["discountPercent"], language),
    }


def _time_left(expires_at: str | None, language: str, *, within_hours: int | None) -> dict[str, Any] | None:
    """The app's ``Countdown`` at this instant (it ticks on once the app runs): None when there
    is no end, or (for a card) when it is further than ``within_hours``."""
    if not expires_at:
        return None
    left = int((dt.datetime.fromisoformat(expires_at) - timezone.now()).total_seconds())
    if left <= 0 or (within_hours is not None and left > within_hours * 3600):
        return None
    days, rest = divmod(left, 86_400)
    clock = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return {
        "text": f"{days} {text(language, 'deal.dayUnit')} {clock}" if days else clock,
        "urgent": days == 0,
        "datetime": expires_at,
    }


def _card(node: dict[str, Any], language: str) -> dict[str, Any]:
    image = node["images"][0] if node["images"] else None
    return {
        "ends_soon": _time_left(node["expiresAt"], language, within_hours=CARD_COUNTDOWN_HOURS),
        "ends": _time_left(node["expiresAt"], language, within_hours=None),
        "review_count": text(language, "reviews.count", count=str(node["reviewSummary"]["count"])),
        **node,
        "price_text": _price(node, language),
        "image_src": _local(image["thumbnailUrl"]) if image else "",
        "image_alt": image["altText"] if image else "",
        "initial": node["title"][:1],
        "sold_out": node.get("stock") == 0,
        "rating": f"{Decimal(node['reviewSummary']['average']):.1f}".replace(
            ".", "," if language == "fr" else "."
        )
        if node["reviewSummary"]["count"]
        else "",
    }
