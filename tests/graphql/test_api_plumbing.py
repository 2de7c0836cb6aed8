"""The API packages share one home for each piece of plumbing: access helpers in
graphql_schema/access.py, role permissions in graphql_schema/permissions.py, cursor pages in
graphql_schema/pagination.py, the typed ``Info`` in graphql_schema/context.py. A scan of the
imports keeps it so when a package is added."""

from __future__ import annotations

import ast
from pathlib import Path

import graphql_schema

PACKAGE = Path(graphql_schema.__file__).resolve().parent
HOMES = {
    "parse_id": "graphql_schema.access",
    "not_found": "graphql_schema.access",
    "is_brand_admin": "graphql_schema.access",
    "IsBrandMember": "graphql_schema.permissions",
    "IsMerchant": "graphql_schema.permissions",
    "Connection": "graphql_schema.pagination",
    "paginate": "graphql_schema.pagination",
    "paginate_keyset": "graphql_schema.pagination",
    "Info": "graphql_schema.context",
}


def _imports() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    found.append((str(path.relative_to(PACKAGE.parent)), node.module, alias.name))
    return found


def test_every_api_package_imports_the_shared_plumbing_from_its_one_home():
    misplaced = [
        f"{path}: {name} from {module}"
        for path, module, name in _imports()
        if name in HOMES and module != HOMES[name] and module.startswith("graphql_schema")
    ]

    assert misplaced == []


def test_resolvers_take_the_typed_info():
    untyped = [
        f"{path}: Info from {module}"
        for path, module, name in _imports()
        if name == "Info" and module.startswith("strawberry")
    ]

    assert untyped == []


def test_the_old_homes_are_gone():
    assert not (PACKAGE / "orders" / "access.py").exists()
    assert not (PACKAGE / "marketplace" / "pagination.py").exists()
    source = (PACKAGE / "affiliation" / "access.py").read_text()
    for name in ("parse_id", "not_found", "is_brand_admin"):
        assert f"def {name}" not in source
