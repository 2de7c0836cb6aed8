"""The affiliate engine over GraphQL: flows, field errors, permissions, constant query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role
from accounts.services import api_token_create
from affiliation.models import Link
from affiliation.services import link_create
from tests.conftest import make_user
from tests.engine import count_clicks, make_affiliate, make_click, make_program
from tests.marketplace.builders import make_product

JOIN = """
mutation($program: ID!, $code: String!) {
  affiliateJoin(programId: $program, referralCode: $code) {
    affiliate { id status referralCode tier { code rate } referredById }
    errors { field code message }
  }
}
"""
LINK_CREATE = """
mutation($input: LinkCreateInput!) {
  linkCreate(input: $input) { link { code url targetUrl qrCodeSvgUrl stats { clicks } } errors { field code message } }
}
"""
MY_LINKS = """
query($first: Int!) {
  myLinks(first: $first) {
    totalCount
    edges { node { code url stats { clicks uniqueClicks conversions earnings { amount currency } conversionRate } } }
  }
}
"""
WITHDRAW = """
mutation($input: WithdrawalRequestInput!) {
  withdrawalRequest(input: $input) { withdrawal { id status amount { amount currency } } errors { field code message } }
}
"""
WITHDRAW_PARAMS = """
mutation($input: WithdrawalRequestInput!) {
  withdrawalRequest(input: $input) { errors { field code message params { name value } } }
}
"""
RECORD = """
mutation($input: ConversionInput!) {
  conversionRecord(input: $input) {
    created conversion { orderId amount { amount currency } } commissions { level amount { amount } }
    errors { field code message }
  }
}
"""


@pytest.fixture
def program(brand_a):
    with tenant_context(brand_a):
        return make_program(allowed_domains=["partner.example.org"])


def test_an_affiliate_joins_under_a_referrer_and_creates_a_link(gql, brand_a, program):
    with tenant_context(brand_a):
        referrer = make_affiliate(brand_a, program)
    user = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a, user)

    joined = client.data(JOIN, {"program": str(program.pk), "code": referrer.referral_code})["affiliateJoin"]
    link = client.data(
        LINK_CREATE, {"input": {"programId": str(program.pk), "title": "Spring", "utm": {"utm_source": "ig"}}}
    )["linkCreate"]

    assert joined["errors"] == []
    assert joined["affiliate"]["status"] == "APPROVED"
    assert joined["affiliate"]["referredById"] == str(referrer.pk)
    assert joined["affiliate"]["tier"] == {"code": "default", "rate": "20.00"}
    assert link["errors"] == []
    assert link["link"]["url"] == f"https://alpha.localhost/r/{link['link']['code']}"
    assert link["link"]["targetUrl"] == "https://shop.example.com/"
    assert link["link"]["stats"] == {"clicks": 0}


def test_join_errors(gql, brand_a, program):
    user = make_user(brand_a, role=Role.AFFILIATE)
    client = gql(brand_a, user)

    unknown = client.data(JOIN, {"program": str(program.pk), "code": "nope"})["affiliateJoin"]
    client.data(JOIN, {"program": str(program.pk), "code": ""})
    twice = client.data(JOIN, {"program": str(program.pk), "code": ""})["affiliateJoin"]

    assert [(e["field"], e["code"]) for e in unknown["errors"]] == [("referralCode", "UNKNOWN_REFERRAL_CODE")]
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("program", "ALREADY_JOINED")]


@pytest.mark.parametrize(
    ("target", "code"),
    [
        ("https://evil.example.net/phish", "DOMAIN_NOT_ALLOWED"),
        ("javascript:alert(1)", "INVALID"),
        ("//evil.example.net", "INVALID"),
        ("https://shop.example.com.evil.net/", "DOMAIN_NOT_ALLOWED"),
    ],
)
def test_links_cannot_point_outside_the_programs_domains(gql, brand_a, program, target, code):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program)

    payload = gql(brand_a, affiliate.user).data(
        LINK_CREATE, {"input": {"programId": str(program.pk), "targetUrl": target}}
    )["linkCreate"]

    assert payload["link"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("targetUrl", code)]


def test_links_may_point_to_allow_listed_merchant_domains_and_the_brand(gql, brand_a, program):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program)
    client = gql(brand_a, affiliate.user)

    for target in ("https://partner.example.org/deal?id=4", "https://alpha.localhost/deals/9"):
        payload = client.data(LINK_CREATE, {"input": {"programId": str(program.pk), "targetUrl": target}})[
            "linkCreate"
        ]
        assert payload["errors"] == [], target


def test_a_page_of_100_links_with_stats_costs_a_constant_number_of_queries(
    gql, brand_a, program, django_assert_max_num_queries
):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program)
        for _ in range(100):
            link = link_create(affiliate=affiliate)
        count_clicks(link, clicks=9, unique_clicks=4, at=link.created_at)
    client = gql(brand_a, affiliate.user)

    with django_assert_max_num_queries(12) as captured:
        data = client.data(MY_LINKS, {"first": 100})
    with tenant_context(brand_a):
        for _ in range(50):
            link_create(affiliate=affiliate)
    with django_assert_max_num_queries(len(captured)):
        client.data(MY_LINKS, {"first": 100})

    assert data["myLinks"]["totalCount"] == 100
    assert len(data["myLinks"]["edges"]) == 100
    assert data["myLinks"]["edges"][0]["node"]["stats"]["clicks"] == 9


def test_withdrawal_field_errors_then_success(gql, brand_a, program):
    from tests.payouts.test_withdrawals import _earn

    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program)
        _earn(affiliate, "50.00", "gql-fund")
    client = gql(brand_a, affiliate.user)
    valid = {"iban": "DE89 3704 0044 0532 0130 00", "accountHolder": "Ana"}
    request = {"programId": str(program.pk), "method": "BANK_TRANSFER", "details": valid}

    bad = client.data(WITHDRAW, {"input": {**request, "amount": "80.00"}})["withdrawalRequest"]
    bad_iban = client.data(
        WITHDRAW, {"input": {**request, "amount": "20.00", "details": {**valid, "iban": "GB00 XXXX"}}}
    )["withdrawalRequest"]
    good = client.data(WITHDRAW, {"input": {**request, "amount": "20.00"}})["withdrawalRequest"]

    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("amount", "INSUFFICIENT_BALANCE")]
    assert [(e["field"], e["code"]) for e in bad_iban["errors"]] == [("details.iban", "INVALID_IBAN")]
    assert good["errors"] == []
    below = client.data(WITHDRAW_PARAMS, {"input": {**request, "amount": "0.50"}})["withdrawalRequest"]
    over = client.data(WITHDRAW_PARAMS, {"input": {**request, "amount": "80.00"}})["withdrawalRequest"]
    # The specifics of each message come apart too, so a French client can say them.
    assert below["errors"] == [
        {
            "field": "amount",
            "code": "BELOW_MINIMUM",
            "message": "The minimum withdrawal is 10.00 EUR.",
            "params": [{"name": "minimum", "value": "10.00"}, {"name": "currency", "value": "EUR"}],
        }
    ]
    assert over["errors"][0]["params"] == [
        {"name": "available", "value": "30.00"},
        {"name": "currency", "value": "EUR"},
    ]
    assert over["errors"][0]["message"] == "You have 30.00 EUR available."
    assert good["withdrawal"]["status"] == "REQUESTED"
    balance = client.data(
        f'{{ myBalance(programId: "{program.pk}") {{ available {{ amount }} reserved {{ amount }} }} }}'
    )
    assert balance["myBalance"] == {"available": {"amount": "30.00"}, "reserved": {"amount": "20.00"}}


def test_a_merchant_token_records_a_conversion_of_its_own_product_once(gql, brand_a, program):
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program)
        merchant = make_user(brand_a, role=Role.MERCHANT)
        product = make_product(merchant, program=program)
        link_create(affiliate=affiliate, offer_ref=product.offer_ref)  # the link the click follows
        click = make_click(affiliate)
        _, token = api_token_create(
            user=merchant, name="shop", scopes=[ApiTokenScope.READ, ApiTokenScope.WRITE]
        )
    client = gql(brand_a)
    variables = {"input": {"orderId": "A-1", "amount": "150.00", "currency": "EUR", "clickId": str(click.id)}}

    first = client.data(RECORD, variables, HTTP_AUTHORIZATION=f"Bearer {token}")["conversionRecord"]
    again = client.data(RECORD, variables, HTTP_AUTHORIZATION=f"Bearer {token}")["conversionRecord"]

    assert first["created"] is True
    assert first["commissions"] == [{"level": 0, "amount": {"amount": "30.00"}}]
    assert again["created"] is False
    assert again["errors"] == []


@pytest.mark.parametrize("role", [Role.AFFILIATE, Role.CUSTOMER])
def test_only_merchants_and_admins_record_conversions(gql, brand_a, program, role):
    user = make_user(brand_a, role=role)

    body = gql(brand_a, user).execute(
        RECORD, {"input": {"orderId": "x", "amount": "1.00", "currency": "EUR", "couponCode": "X"}}
    )

    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


@pytest.mark.parametrize("role", [Role.AFFILIATE, Role.MERCHANT, None])
def test_only_brand_admins_change_program_rules(gql, brand_a, program, role):
    client = gql(brand_a, make_user(brand_a, role=role) if role else None)

    body = client.execute(
        f'mutation {{ programUpdate(id: "{program.pk}", input: {{holdDays: 0}}) {{ errors {{ code }} }} }}'
    )

    assert body["errors"][0]["extensions"]["code"] in {"FORBIDDEN", "UNAUTHENTICATED"}
    program.refresh_from_db()
    assert program.hold_days == 30


def test_a_brand_admin_edits_rules_with_field_errors(gql, brand_a, program):
    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    client = gql(brand_a, admin)

    bad = client.data(
        f'mutation {{ programUpdate(id: "{program.pk}", input: {{cascadeRates: ["60", "20"], holdDays: 999}}) {{ errors {{ field code }} }} }}'
    )["programUpdate"]
    good = client.data(
        f'mutation {{ programUpdate(id: "{program.pk}", input: {{holdDays: 14, minimumWithdrawal: "25.00", withdrawalMethods: [PAYPAL]}}) {{ program {{ holdDays minimumWithdrawal {{ amount }} withdrawalMethods }} errors {{ code }} }} }}'
    )["programUpdate"]

    assert {(e["field"], e["code"]) for e in bad["errors"]} == {("holdDays", "INVALID")}
    assert good == {
        "program": {
            "holdDays": 14,
            "minimumWithdrawal": {"amount": "25.00"},
            "withdrawalMethods": ["PAYPAL"],
        },
        "errors": [],
    }
    too_high = client.data(
        f'mutation {{ programUpdate(id: "{program.pk}", input: {{cascadeRates: ["60", "20"]}}) {{ errors {{ field code }} }} }}'
    )["programUpdate"]
    assert too_high["errors"] == [{"field": "cascadeRates", "code": "RATES_TOO_HIGH"}]


def test_another_users_link_answers_like_a_missing_one(gql, brand_a, program):
    with tenant_context(brand_a):
        owner = make_affiliate(brand_a, program)
        link = link_create(affiliate=owner)
        intruder = make_affiliate(brand_a, program)

    body = gql(brand_a, intruder.user).execute(
        f'mutation {{ linkArchive(id: "{link.pk}") {{ link {{ code }} }} }}'
    )
    missing = gql(brand_a, intruder.user).execute(
        'mutation { linkArchive(id: "99999999") { link { code } } }'
    )

    assert (
        body["errors"][0]["extensions"]["code"] == missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    )
    assert body["errors"][0]["message"] == missing["errors"][0]["message"]
    with tenant_context(brand_a):
        assert Link.objects.get(pk=link.pk).archived_at is None


def test_commissions_are_listed_newest_first_and_filtered(gql, brand_a, program):
    from affiliation.services import conversion_record, conversion_refund

    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program)
        for n in range(3):
            click = make_click(affiliate)
            conversion_record(
                source="api",
                order_id=f"L{n}",
                amount=f"{10 * (n + 1)}.00",
                currency="EUR",
                click_id=str(click.id),
            )
        conversion_refund(source="api", order_id="L0", refund_id="r")
    client = gql(brand_a, affiliate.user)

    everything = client.data(
        "{ myCommissions(first: 10) { totalCount edges { node { amount { amount } status conversion { orderId } } } } }"
    )
    reversed_only = client.data("{ myCommissions(status: REVERSED) { totalCount } }")

    orders = [edge["node"]["conversion"]["orderId"] for edge in everything["myCommissions"]["edges"]]
    assert orders == ["L2", "L1", "L0"]
    assert reversed_only["myCommissions"]["totalCount"] == 1
    assert connection.schema_name  # the request left a schema on the connection; the fixture resets it
    assert Decimal(everything["myCommissions"]["edges"][0]["node"]["amount"]["amount"]) == Decimal("6.00")


def test_the_leaderboard_over_graphql_is_masked_and_marks_me(gql, brand_a, program):
    from affiliation.services import conversion_record

    with tenant_context(brand_a):
        top = make_affiliate(brand_a, program)
        me = make_affiliate(brand_a, program)
        for affiliate, amount, order in ((top, "300.00", "lb-1"), (me, "100.00", "lb-2")):
            click = make_click(affiliate)
            conversion_record(
                source="api", order_id=order, amount=amount, currency="EUR", click_id=str(click.id)
            )

    rows = gql(brand_a, me.user).data(
        f'{{ leaderboard(programId: "{program.pk}", metric: EARNINGS, period: LAST_7_DAYS) {{ rank maskedEmail value isMe }} }}'
    )["leaderboard"]

    assert [(row["rank"], row["value"], row["isMe"]) for row in rows] == [
        (1, "60.00", False),
        (2, "20.00", True),
    ]
    assert all(top.user.email.split("@")[0] not in row["maskedEmail"] for row in rows)
    assert rows[0]["maskedEmail"].count("***") == 2


def test_a_brand_admin_creates_a_postback_key_that_signs_postbacks(gql, client, brand_a, program):
    import json
    import time

    from affiliation.postbacks import sign_postback

    admin = make_user(brand_a, role=Role.BRAND_ADMIN)
    created = gql(brand_a, admin).data("mutation { postbackKeyCreate { secret key { prefix } } }")[
        "postbackKeyCreate"
    ]
    settings = gql(brand_a, admin).data(
        "{ postbackSettings { endpointUrl signatureHeader keys { prefix revokedAt } } }"
    )
    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, program)
        click = make_click(affiliate)
    body = json.dumps(
        {"event": "sale", "order_id": "pb-1", "amount": "10.00", "currency": "EUR", "click_id": str(click.id)}
    ).encode()

    response = client.post(
        "/postback/",
        data=body,
        content_type="application/json",
        HTTP_HOST="alpha.localhost",
        HTTP_X_SIGNATURE=sign_postback(created["secret"], body, int(time.time())),
    )

    assert settings["postbackSettings"]["endpointUrl"] == "https://alpha.localhost/postback/"
    assert settings["postbackSettings"]["keys"] == [{"prefix": created["key"]["prefix"], "revokedAt": None}]
    assert response.status_code == 201
    assert created["secret"] not in json.dumps(settings)
