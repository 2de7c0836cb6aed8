"""The ledger knows owners, not domains: it imports nothing above ``core`` (issue 10, item 5).

An AST scan of every module of the package, migrations and management commands included,
function-level imports too. Allowed: the standard library, Django, django-tenants (the tenancy
layer the management command and the deletion guard need), ``core`` and the ledger itself.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import ledger

ALLOWED = {"__future__", "django", "django_tenants", "core", "ledger"}


def _imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_ledger_imports_nothing_above_core():
    package = Path(ledger.__file__).parent
    modules = sorted(package.rglob("*.py"))
    found = {
        str(path.relative_to(package)): sorted(
            root
            for root in _imported_roots(path)
            if root not in ALLOWED and root not in sys.stdlib_module_names
        )
        for path in modules
    }

    assert len(modules) >= 10
    assert {module: roots for module, roots in found.items() if roots} == {}
