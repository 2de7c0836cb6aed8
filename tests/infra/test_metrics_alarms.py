"""The platform's Prometheus metrics reach CloudWatch (modules/metrics: a CloudWatch agent that
discovers the tasks by Docker label, scrapes /metrics with METRICS_TOKEN and publishes EMF) and
modules/monitoring alarms on them: drain lag, dead letters, queue length, task failures, failing
outbox events."""

from __future__ import annotations

import re
from typing import Any

from tests.infra.test_terraform import _one, _resources
from tests.infra.tools import ROOT

ALARMED = {
    "click-drain-lag": ("afp_click_drain_lag_seconds", "web"),
    "click-dead-letters": ("afp_click_dead_letters", "web"),
    "celery-queue-length": ("afp_celery_queue_length", "web"),
    "celery-task-failures": ("afp_celery_task_failures_total", "worker"),
    "outbox-failing-events": ("afp_outbox_failing_events", "web"),
}


def _locals(parsed: dict[str, Any], path: str) -> dict[str, Any]:
    return {key: _one(value) for block in parsed[path].get("locals", []) for key, value in block.items()}


def _published(declarations: list[dict[str, Any]], metric: str, labels: dict[str, str]) -> bool:
    """Whether the agent turns the series ``metric{labels}`` into a CloudWatch metric: a
    declaration whose label matcher matches its source labels joined by ';' (the agent's default
    separator) and one of whose selectors matches the name."""
    for declaration in declarations:
        joined = ";".join(labels.get(label, "") for label in declaration["source_labels"])
        if re.search(declaration["label_matcher"], joined) and any(
            re.search(selector, metric) for selector in declaration["metric_selectors"]
        ):
            return True
    return False


def test_every_alarmed_metric_is_published_from_the_process_that_serves_it(parsed: dict[str, Any]) -> None:
    declarations = _locals(parsed, "modules/metrics/main.tf")["metric_declarations"]
    alarms = _locals(parsed, "modules/monitoring/main.tf")["platform_alarms"]

    assert set(alarms) == set(ALARMED)
    for name, (metric, job) in ALARMED.items():
        assert alarms[name]["metric"] == metric
        assert alarms[name]["dimensions"] == f"${{local.{job}_family}}"
        assert _published(declarations, metric, {"job": job}), metric
        assert not _published(declarations, metric, {"job": "beat"}), metric
    # Server errors only, from web and lane.
    assert _published(declarations, "afp_http_requests_total", {"job": "web", "status": "500"})
    assert _published(declarations, "afp_http_requests_total", {"job": "lane", "status": "503"})
    assert not _published(declarations, "afp_http_requests_total", {"job": "web", "status": "200"})
    assert not _published(declarations, "afp_http_requests_total", {"job": "web", "status": "404"})


def test_the_alarmed_metrics_are_the_names_the_platform_exports() -> None:
    sources = (ROOT / "platform" / "core" / "metrics.py").read_text() + (
        ROOT / "platform" / "tracking" / "metrics.py"
    ).read_text()
    for metric, _job in ALARMED.values():
        # prometheus-client adds _total to a counter's name.
        assert f'"{metric.removesuffix("_total")}"' in sources, metric


def test_alarms_notify_the_topic_with_thresholds_from_variables(parsed: dict[str, Any]) -> None:
    alarm = _resources(parsed, "monitoring", "aws_cloudwatch_metric_alarm")["platform"]
    assert _one(alarm["for_each"]) == "${local.platform_alarms}"
    assert _one(alarm["namespace"]) == "${var.metrics_namespace}"
    assert _one(alarm["alarm_actions"]) == "${local.actions}"
    assert _one(alarm["comparison_operator"]) == "GreaterThanThreshold"
    alarms = _locals(parsed, "modules/monitoring/main.tf")["platform_alarms"]
    assert alarms["click-drain-lag"]["threshold"] == "${var.platform_thresholds.drain_lag_seconds}"
    assert alarms["celery-task-failures"]["statistic"] == "Sum"  # counters arrive as per-scrape increases
    assert alarms["click-drain-lag"]["statistic"] == "Maximum"  # the same gauge on every web task
    monitoring = next(
        body for block in parsed["main.tf"]["module"] for key, body in block.items() if key == "monitoring"
    )
    assert _one(monitoring["metrics_namespace"]) == "${module.metrics.namespace}"


def test_the_agent_scrapes_what_the_tasks_label_with_the_metrics_token(parsed: dict[str, Any]) -> None:
    metrics = _locals(parsed, "modules/metrics/main.tf")
    scrape = _one(metrics["prometheus_config"]["scrape_configs"])
    assert scrape["authorization"] == {"type": "Bearer", "credentials": "${var.metrics_token}"}
    discovery = metrics["agent_config"]["logs"]["metrics_collected"]["prometheus"]["ecs_service_discovery"]
    service_locals = _locals(parsed, "modules/service/main.tf")
    labels = service_locals["docker_labels"]
    for label in ("sd_port_label", "sd_metrics_path_label", "sd_job_name_label"):
        assert discovery["docker_label"][label] in labels, label
    # The token reaches the processes, and each scraped process says where its metrics are.
    main = _locals(parsed, "main.tf")
    assert "'METRICS_TOKEN': '${module.secrets.metrics_token_arn}'" in main["secrets"]
    ports = {name: body["metrics_port"] for name, body in main["processes"].items()}
    assert ports == {"web": 8000, "lane": 8001, "worker": 9100, "beat": None, "drain": 9100}
    service = next(
        body for block in parsed["main.tf"]["module"] for key, body in block.items() if key == "service"
    )
    assert _one(service["metrics_port"]) == "${each.value.metrics_port}"
    # The same METRICS_PORT as docker-compose.prod.yml gives the worker and the drain.
    compose = (ROOT / "docker-compose.prod.yml").read_text()
    assert compose.count('METRICS_PORT: "9100"') == 2


def test_a_stopped_metrics_agent_or_caddy_tier_raises_the_running_task_alarm(parsed: dict[str, Any]) -> None:
    monitoring = next(
        body for block in parsed["main.tf"]["module"] for key, body in block.items() if key == "monitoring"
    )
    services = _one(monitoring["services"])
    assert "module.custom_domains.service_name" in services
    assert "module.metrics.service_name" in services
    assert "for process , service in module.service" in services
    alarm = _resources(parsed, "monitoring", "aws_cloudwatch_metric_alarm")["running_tasks"]
    assert _one(alarm["treat_missing_data"]) == "breaching"
