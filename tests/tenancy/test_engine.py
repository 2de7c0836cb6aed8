"""The affiliate engine between brands: objects, live counters and withdrawal updates."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django_tenants.utils import tenant_context

from accounts.models import ApiTokenScope, Role
from accounts.services import api_token_create
from affiliation.services import conversion_record
from payouts.services import withdrawal_request
from tests.conftest import make_user
from tests.engine import make_affiliate, make_click, make_program
from tests.ws_client import GraphQLWebsocket


def test_a_program_of_brand_a_is_not_found_on_brand_b(gql, brand_a, brand_b):
    with tenant_context(brand_a):
        program = make_program(name="Only in A", slug="only-in-a")
    with tenant_context(brand_b):
        make_program(name="B's", slug="bs")
    user = make_user(brand_b, role=Role.AFFILIATE)

    programs = gql(brand_b, user).data("{ programs { slug } }")["programs"]
    body = gql(brand_b, user).execute(
        f'mutation {{ affiliateJoin(programId: "{program.pk + 1000}") {{ errors {{ code }} }} }}'
    )

    assert "only-in-a" not in [p["slug"] for p in programs]
    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_withdrawal_of_brand_a_cannot_be_approved_from_brand_b(gql, brand_a, brand_b):
    from tests.payouts.test_withdrawals import PAYPAL, _earn

    with tenant_context(brand_a):
        affiliate = make_affiliate(brand_a, make_program())
        _earn(affiliate, "40.00", "cross-1")
        withdrawal = withdrawal_request(affiliate=affiliate, amount="20.00", method="paypal", details=PAYPAL)
    admin_b = make_user(brand_b, role=Role.BRAND_ADMIN)

    body = gql(brand_b, admin_b).execute(
        f'mutation {{ withdrawalApprove(id: "{withdrawal.pk}") {{ withdrawal {{ status }} }} }}'
    )
    listed = gql(brand_b, admin_b).data("{ withdrawals { totalCount } }")

    assert body["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert listed["withdrawals"]["totalCount"] == 0
    with tenant_context(brand_a):
        withdrawal.refresh_from_db()
    assert withdrawal.status == "requested"


def _member_with_token(brand):
    with tenant_context(brand):
        program = make_program()
        affiliate = make_affiliate(brand, program)
        _, token = api_token_create(user=affiliate.user, name="ws", scopes=[ApiTokenScope.READ])
    return program, affiliate, token


@pytest.mark.live
async def test_live_stats_reach_the_affiliate_and_never_the_other_brand(live_server_port, live_brands):
    brand, other = live_brands
    program, affiliate, token = await sync_to_async(_member_with_token)(brand)
    other_program, other_affiliate, other_token = await sync_to_async(_member_with_token)(other)
    assert affiliate.pk == other_affiliate.pk  # same ids in both schemas: only the brand tells them apart
    domain = await sync_to_async(lambda: brand.domains.get().domain)()
    other_domain = await sync_to_async(lambda: other.domains.get().domain)()
    query = (
        "subscription($p: ID!) { affiliateStats(programId: $p) { conversions earnings { amount currency } } }"
    )
    mine = await GraphQLWebsocket.open(
        live_server_port, domain, init_payload={"Authorization": f"Bearer {token}"}
    )
    theirs = await GraphQLWebsocket.open(
        live_server_port, other_domain, init_payload={"Authorization": f"Bearer {other_token}"}
    )
    await mine.subscribe(query, {"p": str(program.pk)})
    await theirs.subscribe(query, {"p": str(other_program.pk)})
    first = await mine.receive()
    their_first = await theirs.receive()
    assert first["payload"]["data"]["affiliateStats"] == {
        "conversions": 0,
        "earnings": {"amount": "0.00", "currency": "EUR"},
    }
    assert their_first["payload"]["data"]["affiliateStats"]["conversions"] == 0
    await asyncio.sleep(0.3)

    def sale() -> None:
        with tenant_context(brand):
            click = make_click(affiliate)
            conversion_record(
                source="api", order_id="live-1", amount="50.00", currency="EUR", click_id=str(click.id)
            )

    await sync_to_async(sale)()

    update = await mine.receive(timeout=5)
    assert update["payload"]["data"]["affiliateStats"] == {
        "conversions": 1,
        "earnings": {"amount": "10.00", "currency": "EUR"},
    }
    with pytest.raises(TimeoutError):
        await theirs.receive(timeout=1.5)
    await mine.close()
    await theirs.close()


@pytest.mark.live
async def test_the_affiliate_sees_their_withdrawal_approved_live(live_server_port, live_brands, live_client):
    from tests.payouts.test_withdrawals import PAYPAL, _earn

    brand, _ = live_brands

    def setup():
        with tenant_context(brand):
            affiliate = make_affiliate(brand, make_program())
            _earn(affiliate, "40.00", "live-w")
            _, token = api_token_create(user=affiliate.user, name="ws", scopes=[ApiTokenScope.READ])
            withdrawal = withdrawal_request(
                affiliate=affiliate, amount="25.00", method="paypal", details=PAYPAL
            )
        admin = make_user(brand, role=Role.BRAND_ADMIN)
        browser = live_client(brand)
        browser.login(admin.email)
        return token, withdrawal, browser

    token, withdrawal, browser = await sync_to_async(setup)()
    socket = await GraphQLWebsocket.open(
        live_server_port, browser.host, init_payload={"Authorization": f"Bearer {token}"}
    )
    await socket.subscribe("subscription { withdrawalUpdated { id status amount { amount } } }")
    await asyncio.sleep(0.3)

    response = await sync_to_async(browser.post)(
        f'mutation {{ withdrawalApprove(id: "{withdrawal.pk}") {{ errors {{ code }} }} }}',
        headers={"X-CSRFToken": browser.http.cookies["csrftoken"]},
    )
    assert response.json()["data"]["withdrawalApprove"]["errors"] == []

    message = await socket.receive(timeout=5)
    assert message["payload"]["data"]["withdrawalUpdated"] == {
        "id": str(withdrawal.pk),
        "status": "APPROVED",
        "amount": {"amount": "25.00"},
    }
    await socket.close()
