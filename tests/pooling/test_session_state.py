"""No session state in the product: behind PgBouncer's transaction pooling, a session is shared
by whoever's transaction runs on it next.

Allowed: transaction-scoped locks (``pg_advisory_xact_lock``) and ``SET LOCAL``. Refused:
session advisory locks, ``LISTEN``/``NOTIFY`` listeners, temporary tables, ``SET`` without
``LOCAL``, ``PREPARE``, cursors ``WITH HOLD``. The benchmarks (bench/) are not part of the product
and talk to PostgreSQL directly.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [ROOT / "platform", ROOT / "tenants", ROOT / "graphql_schema"]
SKIPPED = {ROOT / "platform" / "core" / "pooled_postgresql" / "base.py"}  # it explains them

SESSION_STATE = {
    "session advisory lock": re.compile(r"pg_(?:try_)?advisory_lock(?:_shared)?\s*\(", re.IGNORECASE),
    "LISTEN": re.compile(r"""["'(]\s*LISTEN\s""", re.IGNORECASE),
    "temporary table": re.compile(r"CREATE\s+(?:GLOBAL\s+|LOCAL\s+)?TEMP(?:ORARY)?\s+TABLE", re.IGNORECASE),
    "SET without LOCAL": re.compile(
        r"""["'(;]\s*SET\s+(?!LOCAL\b)(?:SESSION\s+)?[a-z_]+\s*(?:=|TO\b)""", re.IGNORECASE
    ),
    "PREPARE": re.compile(r"""["'(;]\s*PREPARE\s+\w+\s*(?:\(|AS\b)""", re.IGNORECASE),
    "cursor WITH HOLD": re.compile(r"WITH\s+HOLD", re.IGNORECASE),
}


def _violations(text: str) -> list[str]:
    return [name for name, pattern in SESSION_STATE.items() if pattern.search(text)]


def test_the_patterns_catch_what_they_are_for() -> None:
    assert _violations('cursor.execute("SELECT pg_advisory_lock(1)")') == ["session advisory lock"]
    assert _violations('cursor.execute("SELECT pg_advisory_xact_lock(1)")') == []
    assert _violations('cursor.execute("LISTEN events")') == ["LISTEN"]
    assert _violations('"CREATE TEMP TABLE t AS SELECT 1"') == ["temporary table"]
    assert _violations('cursor.execute("SET search_path TO x")') == ["SET without LOCAL"]
    assert _violations('cursor.execute("SET statement_timeout = 5")') == ["SET without LOCAL"]
    assert _violations('cursor.execute(f"SET LOCAL search_path TO {schema}")') == []
    assert _violations('"UPDATE t SET name = 1"') == []
    assert _violations('"PREPARE q AS SELECT 1"') == ["PREPARE"]


def test_the_product_keeps_no_state_on_database_sessions() -> None:
    found = {
        str(path.relative_to(ROOT)): violations
        for root in PRODUCT
        for path in sorted(root.rglob("*.py"))
        if path not in SKIPPED and "migrations" not in path.parts
        if (violations := _violations(path.read_text(encoding="utf-8")))
    }

    assert found == {}
