"""The PayPal fake speaks PayPal's wire format: what the provider relies on, checked directly."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from paypal_fake import FakePayPalServer
from paypal_fake.state import outcome_for
from tests.payouts.conftest import CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID


def _token(server: FakePayPalServer, secret: str = CLIENT_SECRET) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/oauth2/token", data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, secret)
    )


def _api(server: FakePayPalServer) -> httpx.Client:
    token = _token(server).json()["access_token"]
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"})


def _batch(sender_batch_id: str, *receivers: str) -> dict[str, Any]:
    return {
        "sender_batch_header": {"sender_batch_id": sender_batch_id, "email_subject": "You have a payout"},
        "items": [
            {
                "recipient_type": "EMAIL",
                "amount": {"value": "10.00", "currency": "EUR"},
                "receiver": receiver,
                "sender_item_id": f"s.w{index}",
                "note": "Thanks",
            }
            for index, receiver in enumerate(receivers)
        ],
    }


def test_tokens_are_client_credentials(paypal):
    server = paypal.server
    granted = _token(server)
    assert granted.status_code == 200
    assert granted.json()["token_type"] == "Bearer"
    assert granted.json()["expires_in"] > 0
    assert _token(server, "wrong").status_code == 401
    anonymous = httpx.get(f"{server.url}/v1/payments/payouts/X")
    assert (anonymous.status_code, anonymous.json()["name"]) == (401, "AUTHENTICATION_FAILURE")


def test_a_reused_sender_batch_id_is_refused_with_a_link_to_the_first_batch(paypal):
    api = _api(paypal.server)
    created = api.post("/v1/payments/payouts", json=_batch("fake-dup-1", "a@example.com"))
    assert created.status_code == 201
    header = created.json()["batch_header"]
    assert (header["batch_status"], header["sender_batch_header"]["sender_batch_id"]) == (
        "PENDING",
        "fake-dup-1",
    )

    again = api.post("/v1/payments/payouts", json=_batch("fake-dup-1", "a@example.com"))

    assert again.status_code == 400
    error = again.json()
    assert error["name"] == "USER_BUSINESS_ERROR"
    assert error["debug_id"]
    assert "sender_batch_id" in error["details"][0]["issue"]
    assert error["links"][0]["href"].endswith(f"/v1/payments/payouts/{header['payout_batch_id']}")
    assert len(paypal.batches_for("fake-dup-1")) == 1


def test_batches_and_items_read_back_with_scripted_outcomes(paypal):
    api = _api(paypal.server)
    batch_id = api.post(
        "/v1/payments/payouts", json=_batch("fake-read-1", "ok@example.com", "fail@example.com")
    ).json()["batch_header"]["payout_batch_id"]
    deliveries = paypal.process(batch_id)

    batch = api.get(f"/v1/payments/payouts/{batch_id}").json()
    statuses = {item["payout_item"]["receiver"]: item["transaction_status"] for item in batch["items"]}
    assert statuses == {"ok@example.com": "SUCCESS", "fail@example.com": "FAILED"}
    assert batch["batch_header"]["batch_status"] == "SUCCESS"
    failed = next(item for item in batch["items"] if item["transaction_status"] == "FAILED")
    assert failed["errors"]["name"] == "RECEIVER_UNREGISTERED"
    item = api.get(f"/v1/payments/payouts-item/{failed['payout_item_id']}").json()
    assert item["payout_item"]["sender_item_id"] == "s.w1"
    assert [d["event"]["event_type"] for d in deliveries] == [
        "PAYMENT.PAYOUTS-ITEM.SUCCEEDED",
        "PAYMENT.PAYOUTS-ITEM.FAILED",
        "PAYMENT.PAYOUTSBATCH.SUCCESS",
    ]
    assert api.get("/v1/payments/payouts/NOPE").json()["name"] == "INVALID_RESOURCE_ID"


def test_invalid_batches_get_paypal_validation_errors(paypal):
    api = _api(paypal.server)
    body = _batch("fake-invalid-1", "not-an-email")
    body["items"][0]["amount"]["value"] = "10.001"
    refused = api.post("/v1/payments/payouts", json=body)
    assert refused.status_code == 400
    assert refused.json()["name"] == "VALIDATION_ERROR"
    assert {d["field"] for d in refused.json()["details"]} == {"items[0].amount.value", "items[0].receiver"}
    assert paypal.batches_for("fake-invalid-1") == []


def test_verify_webhook_signature_accepts_only_what_was_sent(paypal):
    api = _api(paypal.server)
    batch_id = api.post("/v1/payments/payouts", json=_batch("fake-sig-1", "ok@example.com")).json()[
        "batch_header"
    ]["payout_batch_id"]
    delivery = paypal.process(batch_id)[0]
    headers = delivery["headers"]
    request = {
        "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
        "cert_url": headers["PAYPAL-CERT-URL"],
        "auth_algo": headers["PAYPAL-AUTH-ALGO"],
        "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
        "webhook_id": WEBHOOK_ID,
        "webhook_event": json.loads(json.dumps(delivery["event"])),
    }
    verify = "/v1/notifications/verify-webhook-signature"
    assert api.post(verify, json=request).json() == {"verification_status": "SUCCESS"}
    tampered = {
        **request,
        "webhook_event": {**request["webhook_event"], "event_type": "PAYMENT.PAYOUTS-ITEM.FAILED"},
    }
    assert api.post(verify, json=tampered).json() == {"verification_status": "FAILURE"}
    assert api.post(verify, json={**request, "webhook_id": "WH-OTHER"}).json() == {
        "verification_status": "FAILURE"
    }
    missing = api.post(verify, json={**request, "transmission_sig": ""})
    assert (missing.status_code, missing.json()["name"]) == (400, "VALIDATION_ERROR")


@pytest.mark.parametrize(
    ("receiver", "statuses"),
    [
        ("ana@example.com", ["SUCCESS"]),
        ("fail.me@example.com", ["FAILED"]),
        ("unclaimed@example.com", ["UNCLAIMED"]),
        ("return@example.com", ["SUCCESS", "RETURNED"]),
        ("hold@example.com", ["ONHOLD"]),
    ],
)
def test_outcomes_are_scripted_by_the_receiver(receiver, statuses):
    assert outcome_for(receiver) == statuses


def test_the_cli_starts():
    answer = subprocess.run(
        [sys.executable, "-m", "paypal_fake", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "--webhook-url" in answer.stdout


def test_make_run_mode_processes_and_delivers_by_itself():
    """What `make run` uses: outcomes after ``process_delay``, webhooks POSTed in the background
    with PayPal's transmission headers."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    received: list[tuple[dict[str, str], dict[str, Any]]] = []
    arrived = threading.Event()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), json.loads(body)))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if len(received) >= 2:
                arrived.set()

        def log_message(self, *args: Any) -> None:
            pass

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    server = FakePayPalServer(
        webhook_urls=[f"http://127.0.0.1:{receiver.server_port}/paypal/webhook/"],
        webhook_id="WH-LOCAL",
        process_delay=0.1,
    ).start()
    try:
        api = _api(server)
        assert api.post("/v1/payments/payouts", json=_batch("auto-1", "ok@example.com")).status_code == 201
        assert arrived.wait(timeout=30)
        assert [event["event_type"] for _, event in received] == [
            "PAYMENT.PAYOUTS-ITEM.SUCCEEDED",
            "PAYMENT.PAYOUTSBATCH.SUCCESS",
        ]
        headers = {name.upper(): value for name, value in received[0][0].items()}
        assert headers["PAYPAL-AUTH-ALGO"] == "SHA256withRSA"
        assert {"PAYPAL-TRANSMISSION-ID", "PAYPAL-TRANSMISSION-TIME", "PAYPAL-TRANSMISSION-SIG"} <= set(
            headers
        )
    finally:
        server.stop()
        receiver.shutdown()
        receiver.server_close()
