"""infra/terraform: every file parses (python-hcl2), the stack has what production needs, and
checkov passes with no failed check and a written reason for every skip.

There is no terraform binary here; the parse stands in for `terraform validate`'s syntax half.
"""

from __future__ import annotations

import re
import resource
from typing import Any

from tests.infra.tools import ROOT, TERRAFORM_DIR, run, tool

PROCESSES = {"web", "lane", "worker", "beat", "drain"}
SKIP = re.compile(r"#\s*checkov:skip=(?P<check>[A-Z0-9_]+)(?::(?P<reason>.*))?")


def _one(value: Any) -> Any:
    """python-hcl2 wraps some values in a one-item list."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def _resources(parsed: dict[str, Any], module: str, kind: str) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for block in parsed[f"modules/{module}/main.tf"].get("resource", []):
        for name, body in block.get(kind, {}).items():
            found[name] = body
    return found


def test_every_terraform_file_parses_and_documents_its_variables_and_outputs(parsed: dict[str, Any]) -> None:
    files = {path.relative_to(TERRAFORM_DIR).as_posix() for path in TERRAFORM_DIR.rglob("*.tf")}
    assert set(parsed) == files
    modules = {
        "network",
        "database",
        "cache",
        "storage",
        "service",
        "edge",
        "secrets",
        "monitoring",
        "custom_domains",
        "metrics",
    }
    assert {path.split("/")[1] for path in files if path.startswith("modules/")} == modules
    for path, content in parsed.items():
        for block in content.get("variable", []):
            for name, body in block.items():
                assert _one(body.get("description")), f"{path}: variable {name} has no description"
                assert "type" in body, f"{path}: variable {name} has no type"
        for block in content.get("output", []):
            for name, body in block.items():
                assert _one(body.get("description")), f"{path}: output {name} has no description"


def test_the_five_processes_run_as_services(parsed: dict[str, Any]) -> None:
    locals_ = {key: value for block in parsed["main.tf"]["locals"] for key, value in block.items()}
    assert set(_one(locals_["processes"])) == PROCESSES
    defaults = {key: value for block in parsed["variables.tf"]["variable"] for key, value in block.items()}[
        "services"
    ]
    assert set(_one(defaults["default"])) == PROCESSES
    service = parsed["modules/service/main.tf"]["resource"]
    kinds = {kind for block in service for kind in block}
    assert {"aws_ecs_service", "aws_ecs_task_definition", "aws_appautoscaling_policy"} <= kinds


def test_database_is_postgres_16_multi_az_with_pitr_and_encryption(parsed: dict[str, Any]) -> None:
    instance = _resources(parsed, "database", "aws_db_instance")["main"]
    assert _one(instance["engine"]) == "postgres"
    assert _one(instance["engine_version"]) == "16"
    assert _one(instance["multi_az"]) is True
    assert _one(instance["storage_encrypted"]) is True
    assert _one(instance["publicly_accessible"]) is False
    assert _one(instance["backup_retention_period"]) == "${var.backup_retention_days}"
    group = _resources(parsed, "database", "aws_db_parameter_group")["postgres16"]
    assert _one(group["family"]) == "postgres16"
    parameters = {_one(p["name"]): _one(p["value"]) for p in group["parameter"]}
    assert parameters["rds.force_ssl"] == "1"


def test_redis_is_replicated_and_encrypted_in_transit_and_at_rest(parsed: dict[str, Any]) -> None:
    group = _resources(parsed, "cache", "aws_elasticache_replication_group")["main"]
    for flag in (
        "automatic_failover_enabled",
        "multi_az_enabled",
        "at_rest_encryption_enabled",
        "transit_encryption_enabled",
    ):
        assert _one(group[flag]) is True, flag
    parameters = _resources(parsed, "cache", "aws_elasticache_parameter_group")["redis7"]["parameter"]
    assert {_one(p["name"]): _one(p["value"]) for p in parameters}["maxmemory-policy"] == "noeviction"


def test_buckets_are_private_versioned_encrypted_with_lifecycle(parsed: dict[str, Any]) -> None:
    buckets = set(_resources(parsed, "storage", "aws_s3_bucket"))
    assert buckets == {"media", "logs"}
    for kind in (
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_lifecycle_configuration",
    ):
        assert set(_resources(parsed, "storage", kind)) == buckets, kind
    for block in _resources(parsed, "storage", "aws_s3_bucket_public_access_block").values():
        for flag in (
            "block_public_acls",
            "block_public_policy",
            "ignore_public_acls",
            "restrict_public_buckets",
        ):
            assert _one(block[flag]) is True


def test_edge_has_a_wildcard_certificate_and_record_and_routes_clicks_to_the_lane(
    parsed: dict[str, Any],
) -> None:
    certificate = _resources(parsed, "edge", "aws_acm_certificate")["wildcard"]
    assert _one(certificate["subject_alternative_names"]) == "*.${var.root_domain}"
    assert _one(_resources(parsed, "edge", "aws_route53_record")["brands"]["name"]) == "*.${var.root_domain}"
    rule = _resources(parsed, "edge", "aws_lb_listener_rule")["clicks"]
    assert _one(_one(_one(rule["condition"])["path_pattern"])["values"]) == "/r/*"
    groups = _resources(parsed, "edge", "aws_lb_target_group")
    assert _one(_one(groups["web"]["health_check"])["path"]) == "/readyz"
    assert _one(_one(groups["lane"]["health_check"])["path"]) == "/healthz"


def test_every_checkov_skip_gives_a_reason() -> None:
    skips = []
    for path in [*TERRAFORM_DIR.rglob("*.tf"), ROOT / "Dockerfile"]:
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if "checkov:skip" in line:
                match = SKIP.search(line)
                assert match, f"{path}:{number}: unreadable skip"
                reason = (match["reason"] or "").strip()
                assert len(reason) >= 20, f"{path}:{number}: {match['check']} is skipped without a reason"
                skips.append(match["check"])
    assert skips, "the skips are read (none found: the pattern is wrong)"


def test_checkov_passes_on_terraform_offline_and_quickly() -> None:
    checkov = tool("checkov")
    # CPU time, not wall time: a loaded 2-core machine stretches the wall clock, not the work.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run(
        [
            checkov,
            "--directory",
            TERRAFORM_DIR,
            "--framework",
            "terraform",
            "--compact",
            "--quiet",
            "--skip-download",
            "--download-external-modules",
            "false",
        ]
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    elapsed = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Failed checks: 0" in result.stdout
    assert re.search(r"Passed checks: [1-9]\d*", result.stdout)
    assert elapsed < 60, f"checkov took {elapsed:.0f} s of CPU"


def _listener_rules(parsed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return _resources(parsed, "edge", "aws_lb_listener_rule")


def test_the_alb_refuses_metrics_and_internal_paths_from_the_internet_first(parsed: dict[str, Any]) -> None:
    rules = _listener_rules(parsed)
    internal = rules["internal"]
    assert _one(internal["listener_arn"]) == "${aws_lb_listener.https.arn}"
    assert _one(_one(_one(internal["condition"])["path_pattern"])["values"]) == [
        "/metrics",
        "/metrics/",
        "/internal/*",
    ]
    action = _one(internal["action"])
    assert _one(action["type"]) == "fixed-response"
    assert _one(_one(action["fixed_response"])["status_code"]) == "404"
    # Before every other rule of the HTTPS listener (the lowest priority number wins).
    https_rules = [
        rule for rule in rules.values() if _one(rule["listener_arn"]) == "${aws_lb_listener.https.arn}"
    ]
    assert min(_one(rule["priority"]) for rule in https_rules) == _one(internal["priority"])
    assert sum(1 for rule in https_rules if _one(rule["priority"]) == _one(internal["priority"])) == 1


def test_port_80_forwards_only_the_domain_verification_token_and_redirects_the_rest(
    parsed: dict[str, Any],
) -> None:
    listener = _resources(parsed, "edge", "aws_lb_listener")["http"]
    default = _one(listener["default_action"])
    assert _one(default["type"]) == "redirect"
    assert _one(_one(default["redirect"])["protocol"]) == "HTTPS"
    http_rules = [
        rule
        for rule in _listener_rules(parsed).values()
        if _one(rule["listener_arn"]) == "${aws_lb_listener.http.arn}"
    ]
    assert len(http_rules) == 1
    rule = http_rules[0]
    assert _one(_one(_one(rule["condition"])["path_pattern"])["values"]) == "/.well-known/affiliate-verify/*"
    action = _one(rule["action"])
    assert _one(action["type"]) == "forward"
    assert _one(action["target_group_arn"]) == "${aws_lb_target_group.web.arn}"
    # The same path the platform answers and the Caddyfile passes through on port 80.
    assert "/.well-known/affiliate-verify/" in (ROOT / "tenants" / "hosts.py").read_text()
    assert "path /.well-known/affiliate-verify/*" in (ROOT / "infra" / "docker" / "Caddyfile").read_text()
