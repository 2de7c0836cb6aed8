"""The contact form over GraphQL: anyone may send; only the brand's admins read and triage."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from accounts.models import Role
from support.models import ContactMessage
from support.services import contact_message_send
from tests.conftest import make_user
from tests.support.conftest import contact_values, fresh_email, fresh_ip

SEND = """
mutation Send($input: ContactMessageInput!) {
  contactMessageSend(input: $input) { ok errors { field code message } }
}
"""
LIST = """
query List($status: ContactMessageStatus, $first: Int!, $after: String) {
  contactMessages(status: $status, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id name email subject message locale status createdAt userEmail } }
  }
}
"""
SET_STATUS = """
mutation Set($id: ID!, $status: ContactMessageStatus!) {
  contactMessageStatusSet(id: $id, status: $status) {
    contactMessage { id status }
    errors { field code }
  }
}
"""


def _input(**overrides):
    values = {
        "name": "Ada",
        "email": fresh_email(),
        "subject": "Hello",
        "message": "A question about payouts.",
        "locale": "en",
    }
    values.update(overrides)
    return values


def test_an_anonymous_visitor_sends_a_message(brand_a, gql):
    ip = fresh_ip()
    payload = gql(brand_a).data(SEND, {"input": _input()}, REMOTE_ADDR=ip)["contactMessageSend"]
    assert payload == {"ok": True, "errors": []}
    with tenant_context(brand_a):
        stored = ContactMessage.objects.get()
        assert stored.user_id is None
        assert stored.ip_hash
        assert ip not in stored.ip_hash


def test_field_errors_come_back_on_their_fields(brand_a, gql):
    payload = gql(brand_a).data(SEND, {"input": _input(name="", email="nope")}, REMOTE_ADDR=fresh_ip())[
        "contactMessageSend"
    ]
    assert payload["ok"] is False
    assert {(error["field"], error["code"]) for error in payload["errors"]} == {
        ("name", "REQUIRED"),
        ("email", "INVALID_EMAIL"),
    }


def test_the_sixth_message_in_an_hour_from_one_ip_is_rate_limited(brand_a, gql):
    client, ip = gql(brand_a), fresh_ip()
    for _ in range(5):
        assert client.data(SEND, {"input": _input()}, REMOTE_ADDR=ip)["contactMessageSend"]["ok"]
    payload = client.data(SEND, {"input": _input()}, REMOTE_ADDR=ip)["contactMessageSend"]
    assert payload["ok"] is False
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("email", "RATE_LIMITED")]


def test_a_bot_filling_the_honeypot_is_told_ok_but_nothing_is_kept(brand_a, gql):
    payload = gql(brand_a).data(SEND, {"input": _input(website="x")}, REMOTE_ADDR=fresh_ip())
    assert payload["contactMessageSend"] == {"ok": True, "errors": []}
    with tenant_context(brand_a):
        assert not ContactMessage.objects.exists()


def test_a_signed_in_sender_is_linked(brand_a, gql):
    member = make_user(brand_a)
    gql(brand_a, member).data(SEND, {"input": _input()}, REMOTE_ADDR=fresh_ip())
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    (edge,) = gql(brand_a, admin).data(LIST, {"first": 10})["contactMessages"]["edges"]
    assert edge["node"]["userEmail"] == member.email


def test_only_brand_admins_read_the_inbox(brand_a, gql):
    for role in (Role.AFFILIATE, Role.MERCHANT):
        body = gql(brand_a, make_user(brand_a, role=role)).execute(LIST, {"first": 10})
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    body = gql(brand_a).execute(LIST, {"first": 10})
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    with tenant_context(brand_a):
        contact = contact_message_send(**contact_values())
        assert contact is not None
    body = gql(brand_a, make_user(brand_a, role=Role.MERCHANT)).execute(
        SET_STATUS, {"id": str(contact.pk), "status": "CLOSED"}
    )
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_the_inbox_pages_filters_and_keeps_a_constant_query_count(brand_a, gql):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    members = [make_user(brand_a) for _ in range(3)]
    client = gql(brand_a, admin)

    def add(count: int) -> None:
        with tenant_context(brand_a):
            for index in range(count):
                contact_message_send(**contact_values(user=members[index % 3]))

    add(2)
    with CaptureQueriesContext(connection) as few:
        client.data(LIST, {"first": 50})
    add(10)
    with CaptureQueriesContext(connection) as many:
        page = client.data(LIST, {"first": 50})["contactMessages"]
    assert len(many) == len(few)
    assert page["totalCount"] == 12
    assert len(page["edges"]) == 12

    first = client.data(LIST, {"first": 5})["contactMessages"]
    assert first["pageInfo"]["hasNextPage"] is True
    second = client.data(LIST, {"first": 5, "after": first["pageInfo"]["endCursor"]})["contactMessages"]
    first_ids = [int(edge["node"]["id"]) for edge in first["edges"]]
    second_ids = [int(edge["node"]["id"]) for edge in second["edges"]]
    assert first_ids == sorted(first_ids, reverse=True)
    assert max(second_ids) < min(first_ids)

    target = first["edges"][0]["node"]["id"]
    answered = client.data(SET_STATUS, {"id": target, "status": "ANSWERED"})["contactMessageStatusSet"]
    assert answered == {"contactMessage": {"id": target, "status": "ANSWERED"}, "errors": []}
    filtered = client.data(LIST, {"first": 50, "status": "ANSWERED"})["contactMessages"]
    assert [edge["node"]["id"] for edge in filtered["edges"]] == [target]
    assert client.data(LIST, {"first": 50, "status": "NEW"})["contactMessages"]["totalCount"] == 11


def test_an_unknown_message_is_not_found(brand_a, gql):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    body = gql(brand_a, admin).execute(SET_STATUS, {"id": "999999", "status": "CLOSED"})
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
