"""The Grafana dashboard parses, and every series it queries is one the application exports."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY

import tracking.metrics  # noqa: F401 (registers the click path's metrics)
from core.metrics import scrape_collectors
from tests.infra.tools import ROOT

DASHBOARD = ROOT / "infra" / "grafana" / "platform.json"
_SUFFIXES = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}


def _expressions(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "expr":
                yield str(value)
            else:
                yield from _expressions(value)
    elif isinstance(node, list):
        for item in node:
            yield from _expressions(item)


def _exported(settings: Any) -> set[str]:
    """Series names of the registry (this process's metrics) and of the scrape-time collectors."""
    settings.METRICS_COLLECT_CACHE_SECONDS = 0
    families = list(REGISTRY.collect())
    for collector in scrape_collectors():
        families += list(collector.collect())
    names = {family.name + suffix for family in families for suffix in _SUFFIXES.get(family.type, [""])}
    assert "afp_metrics_collect_errors" not in names  # every collector could read its source
    return names


def test_the_dashboard_parses_and_charts_only_exported_metrics(db, settings):
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = list(_expressions(dashboard["panels"]))
    queried = {name for expr in expressions for name in re.findall(r"\b(afp_[a-z0-9_]+)", expr)}

    exported = _exported(settings)

    assert len(expressions) >= 10
    assert dashboard["uid"] == "afp-platform"
    assert queried - exported == set()
    # The figures the issue asks for are all on it.
    for name in (
        "afp_http_requests_total",
        "afp_http_request_duration_seconds_bucket",
        "afp_click_lane_responses_total",
        "afp_click_stream_length",
        "afp_click_drain_lag_seconds",
        "afp_celery_queue_length",
        "afp_celery_task_failures_total",
        "afp_outbox_failing_events",
    ):
        assert name in queried, name
    assert len({panel["id"] for panel in dashboard["panels"]}) == len(dashboard["panels"])
