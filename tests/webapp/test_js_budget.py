"""What a public page's first load downloads: the built app's JavaScript, compressed (issue 15).

Reads the real build (`npm run build`: frontend/dist/app with Vite's manifest). For a public
route the browser fetches the entry chunk and everything it imports statically (the script and
modulepreload tags of index.html), the catalog of one language, and the route's page chunk
with its own static imports; brotli copies are what WhiteNoise sends to a browser. The sum has
a budget; a failure lists the biggest chunks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

DIST = Path(__file__).resolve().parents[2] / "frontend" / "dist" / "app"
ROUTES = Path(__file__).resolve().parents[2] / "frontend" / "src" / "app" / "routes.tsx"
BUDGET_KIB = 150
# Public routes and the page module each one loads (checked against routes.tsx below).
PUBLIC_ROUTES = {
    "/": "src/pages/public/Home.tsx",
    "/deals": "src/pages/marketplace/Marketplace.tsx",
}
CATALOGS = ("src/i18n/en.ts", "src/i18n/fr.ts")
TAG = re.compile(r'<(?:script|link)\b[^>]*\b(?:src|href)="/static/app/([^"]+\.js)"')


def manifest() -> dict[str, dict]:
    if not (DIST / "index.html").exists():
        pytest.skip("the app is not built (cd frontend && npm run build)")
    path = DIST / ".vite" / "manifest.json"
    assert path.exists(), "frontend/dist/app has no .vite/manifest.json: a stale build (npm run build)"
    return json.loads(path.read_text())


def chunk_of(chunks: dict[str, dict], module: str) -> str:
    """The manifest key of the chunk a dynamic import of `module` loads."""
    if module in chunks:
        return module
    # A page module also imported statically elsewhere lands in a shared chunk named after it.
    name = Path(module).stem
    candidates = [
        key for key in chunks["index.html"].get("dynamicImports", []) if chunks[key].get("name") == name
    ]
    assert len(candidates) == 1, f"no single chunk for {module} in the manifest: {candidates}"
    return candidates[0]


def static_closure(chunks: dict[str, dict], *keys: str) -> list[str]:
    """The chunks' files and those of every chunk they import statically, in load order."""
    files: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        if key in seen:
            return
        seen.add(key)
        files.append(chunks[key]["file"])
        for imported in chunks[key].get("imports", []):
            visit(imported)

    for key in keys:
        visit(key)
    return files


def sent_size(file: str) -> int:
    """Bytes WhiteNoise sends a browser accepting brotli: the .br copy, else the file."""
    path = DIST / file
    compressed = path.with_name(path.name + ".br")
    return (compressed if compressed.exists() else path).stat().st_size


def operations(files: list[str]) -> list[str]:
    found: list[str] = []
    for file in files:
        text = (DIST / file).read_text()
        found += re.findall(
            r"kind:`OperationDefinition`,operation:`\w+`,name:\{kind:`Name`,value:`(\w+)`", text
        )
    return sorted(found)


def first_load(route: str) -> dict[str, list[str]]:
    """The JS files a first visit of `route` downloads, for each language."""
    chunks = manifest()
    entry = static_closure(chunks, "index.html")
    page = static_closure(chunks, chunk_of(chunks, PUBLIC_ROUTES[route]))
    loads = {}
    for catalog in CATALOGS:
        files = entry + [file for file in static_closure(chunks, catalog) + page if file not in entry]
        loads[Path(catalog).stem] = list(dict.fromkeys(files))
    return loads


def test_index_html_preloads_exactly_the_entry_chunks() -> None:
    chunks = manifest()
    tagged = set(TAG.findall((DIST / "index.html").read_text()))
    assert tagged == set(static_closure(chunks, "index.html"))


def test_routes_load_the_pages_named_here() -> None:
    source = ROUTES.read_text()
    for route, module in PUBLIC_ROUTES.items():
        imported = Path(module).with_suffix("").as_posix().removeprefix("src/")
        assert re.search(
            rf'path: "{re.escape(route)}",[^\n]*import\("\.\./{re.escape(imported)}"\)', source
        ), route


def test_only_one_language_catalog_is_loaded_up_front() -> None:
    chunks = manifest()
    entry = static_closure(chunks, "index.html")
    for catalog in CATALOGS:
        assert chunks[catalog]["file"] not in entry, f"{catalog} is in the entry's static imports"


@pytest.mark.parametrize("route", sorted(PUBLIC_ROUTES))
def test_public_route_javascript_stays_under_budget(route: str) -> None:
    for language, files in first_load(route).items():
        sizes = sorted(((sent_size(file), file) for file in files), reverse=True)
        total = sum(size for size, _ in sizes)
        biggest = ", ".join(f"{file} {size / 1024:.1f} KiB" for size, file in sizes[:6])
        assert total <= BUDGET_KIB * 1024, (
            f"{route} ({language}) downloads {total / 1024:.1f} KiB of JS compressed (budget {BUDGET_KIB} KiB); "
            f"biggest: {biggest}"
        )


@pytest.mark.parametrize("route", sorted(PUBLIC_ROUTES))
def test_public_route_carries_only_a_few_graphql_documents(route: str) -> None:
    """The documents of the whole app (over 120) are not shipped to a public page."""
    found = operations(first_load(route)["en"])
    assert len(found) <= 15, found


def test_every_javascript_chunk_has_brotli_and_gzip_copies() -> None:
    for path in (DIST / "assets").glob("*.js"):
        if path.stat().st_size < 1024:
            continue
        for suffix in (".br", ".gz"):
            copy = path.with_name(path.name + suffix)
            assert copy.exists(), f"{copy.name} is missing"
            assert copy.stat().st_mtime_ns >= path.stat().st_mtime_ns, (
                f"{copy.name} is older than {path.name}"
            )
