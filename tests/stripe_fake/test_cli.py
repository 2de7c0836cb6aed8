"""``python -m stripe_fake``: what ``make run`` starts when no Stripe key is configured."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import stripe

import stripe_fake
from tests.stripe_fixtures import WebhookReceiver, receiving_webhooks

SECRET = "whsec_cli_test_secret"
# The tools/ source root (never in the image); `make run` puts it on the child's path the same way.
TOOLS = Path(stripe_fake.__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with receiving_webhooks(SECRET) as receiver:
        yield receiver


def test_the_command_serves_the_api_and_signs_webhooks_with_the_given_secret(
    receiver: WebhookReceiver,
) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_fake",
            "--port",
            str(port),
            "--webhook-url",
            receiver.url,
            "--webhook-secret",
            SECRET,
        ],
        env={**os.environ, "PYTHONPATH": str(TOOLS)},
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/_fake/health", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "stripe_fake did not start"
                time.sleep(0.1)
        client = stripe.StripeClient("sk_test_dev", base_addresses={"api": url})

        customer = client.v1.customers.create(params={"email": "dev@example.com"})

        assert [(e.type, e.data.object.id) for e in receiver.events()] == [("customer.created", customer.id)]
        assert receiver.rejected() == []
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0


def test_the_command_takes_the_behaviour_switches(receiver: WebhookReceiver) -> None:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stripe_fake",
            "--port",
            str(port),
            "--webhook-url",
            receiver.url,
            "--webhook-secret",
            SECRET,
            "--async-webhooks",
            "--shuffle",
            "--duplicates",
            "0.25",
            "--seed",
            "3",
            "--dunning-retry-days",
            "1,2",
            "--dunning-final-action",
            "canceled",
            "--portal-configuration",
        ],
        env={**os.environ, "PYTHONPATH": str(TOOLS)},
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(f"{url}/_fake/health", timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "stripe_fake did not start"
                time.sleep(0.1)

        def control(path: str, data: bytes | None = None) -> Any:
            with urllib.request.urlopen(urllib.request.Request(url + path, data=data), timeout=10) as answer:
                return json.loads(answer.read())

        settings = control("/_fake/settings")
        assert (settings["dunning_retry_days"], settings["dunning_final_action"]) == ([1, 2], "canceled")
        mode = control("/_fake/webhooks/queue")["mode"]
        assert (mode["mode"], mode["shuffle"], mode["duplicate_rate"], mode["seed"]) == (
            "async",
            True,
            0.25,
            3,
        )
        client = stripe.StripeClient("sk_test_dev", base_addresses={"api": url})
        assert [c.is_default for c in client.v1.billing_portal.configurations.list().data] == [True]
        customer = client.v1.customers.create(params={"email": "async@example.com"})
        assert control("/_fake/webhooks/wait_idle", b"timeout=10")["idle"] is True
        assert {(e.type, e.data.object.id) for e in receiver.events()} == {("customer.created", customer.id)}
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode == 0
