"""The brand admin's GraphQL API of messaging channels."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Role
from notifications.models import NotificationChannel
from notifications.services import channel_configure
from tests.conftest import make_user
from tests.notifications.conftest import (
    CHANNELS,
    DISCORD_TOKEN,
    DISCORD_URL,
    TELEGRAM_CHAT,
    TELEGRAM_TOKEN,
    WHATSAPP_TOKEN,
)

FIELDS = """
    id kind label enabled events chatId webhookId phoneNumberId recipientPhone secretHint
    createdAt updatedAt lastSentAt lastError lastErrorAt
"""
CONFIGURE = f"""
mutation($input: NotificationChannelConfigureInput!) {{
  notificationChannelConfigure(input: $input) {{
    channel {{ {FIELDS} }}
    errors {{ field code message }}
  }}
}}
"""
LIST = f"""
query($first: Int!, $after: String) {{
  notificationChannels(first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {FIELDS} }} }}
  }}
}}
"""
TEST = """
mutation($id: ID!) {
  notificationChannelTest(id: $id) { messageId channel { lastSentAt lastError } errors { field code message } }
}
"""
DELETE = """
mutation($id: ID!) { notificationChannelDelete(id: $id) { deletedId errors { code } } }
"""


@pytest.fixture
def admin(brand_a):
    return make_user(brand_a, role=Role.BRAND_ADMIN)


def _configure(client, **input):
    return client.data(CONFIGURE, {"input": input})["notificationChannelConfigure"]


def test_the_admin_adds_a_channel_of_each_kind_and_never_gets_a_secret_back(gql, brand_a, admin):
    client = gql(brand_a, admin)

    telegram = _configure(
        client, kind="TELEGRAM", events=["PAYMENT_CONFIRMED"], chatId=TELEGRAM_CHAT, botToken=TELEGRAM_TOKEN
    )
    discord = _configure(client, kind="DISCORD", events=["INVOICE_CREATED"], webhookUrl=DISCORD_URL)
    whatsapp = _configure(
        client,
        kind="WHATSAPP",
        events=["MANUAL_PAYMENT_SUBMITTED", "WITHDRAWAL_REQUESTED"],
        label="Owner's phone",
        phoneNumberId=CHANNELS["whatsapp"]["phone_number_id"],
        recipientPhone="+212 6 12 34 56 78",
        accessToken=WHATSAPP_TOKEN,
    )
    listed = client.execute(LIST, {"first": 10})

    assert [payload["errors"] for payload in (telegram, discord, whatsapp)] == [[], [], []]
    assert telegram["channel"]["chatId"] == TELEGRAM_CHAT
    assert telegram["channel"]["secretHint"] == "…Ce2G"
    assert discord["channel"]["webhookId"] == "1234567890123456789"
    assert discord["channel"]["secretHint"] == f"…{DISCORD_TOKEN[-4:]}"
    assert whatsapp["channel"]["recipientPhone"] == "+212612345678"
    assert whatsapp["channel"]["events"] == ["MANUAL_PAYMENT_SUBMITTED", "WITHDRAWAL_REQUESTED"]
    assert listed["data"]["notificationChannels"]["totalCount"] == 3
    everything = json.dumps([telegram, discord, whatsapp, listed])
    for secret in (TELEGRAM_TOKEN, DISCORD_TOKEN, WHATSAPP_TOKEN, TELEGRAM_TOKEN.split(":")[1]):
        assert secret not in everything


def test_field_errors_name_the_input_field(gql, brand_a, admin):
    payload = _configure(
        gql(brand_a, admin),
        kind="WHATSAPP",
        events=["INVOICE_CREATED"],
        phoneNumberId="106540352242922",
        recipientPhone="0612",
        accessToken="secret",
    )

    assert payload["channel"] is None
    assert {(error["field"], error["code"]) for error in payload["errors"]} == {
        ("recipientPhone", "INVALID_PHONE"),
        ("accessToken", "INVALID_TOKEN"),
    }
    with tenant_context(brand_a):
        assert not NotificationChannel.objects.exists()


def test_an_update_by_id_keeps_the_token_and_switches_the_channel_off(gql, brand_a, admin):
    client = gql(brand_a, admin)
    created = _configure(
        client, kind="TELEGRAM", events=["PAYMENT_CONFIRMED"], chatId=TELEGRAM_CHAT, botToken=TELEGRAM_TOKEN
    )["channel"]

    updated = _configure(
        client, id=created["id"], kind="TELEGRAM", events=["INVOICE_CREATED"], enabled=False, label="Off"
    )

    assert updated["errors"] == []
    assert (updated["channel"]["enabled"], updated["channel"]["events"]) == (False, ["INVOICE_CREATED"])
    assert updated["channel"]["secretHint"] == created["secretHint"]
    with tenant_context(brand_a):
        assert NotificationChannel.objects.get().secret == TELEGRAM_TOKEN


def test_testing_a_channel_answers_with_the_providers_verdict(gql, brand_a, admin, providers):
    client = gql(brand_a, admin)
    good = _configure(client, kind="DISCORD", events=["INVOICE_CREATED"], webhookUrl=DISCORD_URL)["channel"]
    bad = _configure(
        client, kind="TELEGRAM", events=["INVOICE_CREATED"], chatId="-100999", botToken=TELEGRAM_TOKEN
    )["channel"]

    ok = client.data(TEST, {"id": good["id"]})["notificationChannelTest"]
    failed = client.data(TEST, {"id": bad["id"]})["notificationChannelTest"]

    assert (ok["errors"], ok["channel"]["lastError"]) == ([], "")
    assert ok["messageId"]
    assert ok["channel"]["lastSentAt"]
    assert "Alpha Brand" in providers.discord.received[0].json["content"]
    assert failed["messageId"] is None
    assert failed["errors"] == [
        {"field": None, "code": "DELIVERY_FAILED", "message": "Telegram: Bad Request: chat not found"}
    ]
    assert failed["channel"]["lastError"] == "Telegram: Bad Request: chat not found"


def test_deleting_a_channel(gql, brand_a, admin):
    client = gql(brand_a, admin)
    created = _configure(client, kind="DISCORD", events=["INVOICE_CREATED"], webhookUrl=DISCORD_URL)[
        "channel"
    ]

    deleted = client.data(DELETE, {"id": created["id"]})["notificationChannelDelete"]
    again = client.execute(DELETE, {"id": created["id"]})

    assert deleted == {"deletedId": created["id"], "errors": []}
    assert again["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize("role", [Role.AFFILIATE, Role.MERCHANT])
def test_only_brand_admins_reach_channels(gql, brand_a, admin, role):
    with tenant_context(brand_a):
        channel = channel_configure(
            actor=admin, kind="discord", events=["invoice.created"], webhook_url=DISCORD_URL
        )
    client = gql(brand_a, make_user(brand_a, role=role))

    for query, variables in (
        (LIST, {"first": 10}),
        (TEST, {"id": str(channel.pk)}),
        (DELETE, {"id": str(channel.pk)}),
        (CONFIGURE, {"input": {"kind": "DISCORD", "events": ["INVOICE_CREATED"], "webhookUrl": DISCORD_URL}}),
    ):
        body = client.execute(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN", query
    anonymous = gql(brand_a).execute(LIST, {"first": 10})
    assert anonymous["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_list_pages_in_a_constant_number_of_queries(gql, brand_a, admin, django_assert_max_num_queries):
    with tenant_context(brand_a):
        for index in range(3):
            channel_configure(
                actor=admin,
                kind="telegram",
                events=["invoice.created"],
                chat_id=f"-100{index}",
                bot_token=TELEGRAM_TOKEN,
            )
    client = gql(brand_a, admin)

    with django_assert_max_num_queries(10) as captured:
        first = client.data(LIST, {"first": 2})["notificationChannels"]
    with tenant_context(brand_a):
        for index in range(30):
            channel_configure(
                actor=admin,
                kind="telegram",
                events=["invoice.created"],
                chat_id=f"-200{index}",
                bot_token=TELEGRAM_TOKEN,
            )
    with django_assert_max_num_queries(len(captured)):
        page = client.data(LIST, {"first": 30, "after": first["pageInfo"]["endCursor"]})[
            "notificationChannels"
        ]

    assert (first["totalCount"], len(first["edges"]), first["pageInfo"]["hasNextPage"]) == (3, 2, True)
    assert [edge["node"]["chatId"] for edge in page["edges"]][:2] == ["-1002", "-2000"]
    assert page["totalCount"] == 33
