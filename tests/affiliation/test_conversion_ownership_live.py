"""Issue 9's attack, black-box against the live server: self-registered merchants try to mint a
commission with another merchant's coupon and to charge back another merchant's sale."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from accounts.models import MagicLink, User
from accounts.services import magic_link_send
from affiliation.models import Commission, Conversion, ConversionRefund
from affiliation.services import coupon_create
from ledger.models import LedgerEntry
from tenants.models import MerchantSignup, Tenant
from tests.conftest import PASSWORD
from tests.engine import make_affiliate, make_program
from tests.marketplace.builders import make_product

pytestmark = pytest.mark.live

SIGNUP = (
    "mutation($e: String!, $p: String!) { signup(input: {email: $e, password: $p, role: MERCHANT}) "
    "{ ok awaitingApproval errors { code } } }"
)
MAGIC = "mutation($t: String!) { magicLinkLogin(token: $t) { user { role } errors { code } } }"
RECORD = (
    "mutation($o: String!, $a: Decimal!, $c: String!) { conversionRecord(input: "
    '{orderId: $o, amount: $a, currency: "EUR", couponCode: $c}) '
    "{ created conversion { orderId } errors { field code } } }"
)
CHARGEBACK = (
    'mutation($o: String!) { conversionRefund(input: {orderId: $o, refundId: "cb", chargeback: true}) '
    "{ conversion { status } errors { field code } } }"
)


def _merchant(live_client, brand: Tenant, email: str):
    """Sign up as a merchant over HTTP and sign in with the emailed link, as an attacker would."""
    client = live_client(brand)
    csrf = {"X-CSRFToken": client.csrf_token()}
    answer = client.post(SIGNUP, {"e": email, "p": PASSWORD}, headers=csrf).json()["data"]["signup"]
    assert answer == {"ok": True, "awaitingApproval": False, "errors": []}
    delivered: list[str] = []
    with tenant_context(brand):
        link = MagicLink.objects.get(user__email=email, sent_at__isnull=True)
        magic_link_send(link_id=link.pk, deliver=lambda _link, secret: delivered.append(secret))
        user = User.objects.get(email=email)
    signed_in = client.post(MAGIC, {"t": delivered[0]}, headers=csrf).json()["data"]["magicLinkLogin"]
    assert signed_in == {"user": {"role": "MERCHANT"}, "errors": []}
    client.csrf = {"X-CSRFToken": client.csrf_token()}
    return client, user


def _written(brand: Tenant) -> tuple[int, int, int, int]:
    with tenant_context(brand):
        return (
            Conversion.objects.count(),
            Commission.objects.count(),
            ConversionRefund.objects.count(),
            LedgerEntry.objects.count(),
        )


def test_self_registered_merchants_cannot_mint_nor_erase_each_others_commissions(live_brands, live_client):
    brand, _ = live_brands
    Tenant.objects.filter(pk=brand.pk).update(merchant_signup=MerchantSignup.OPEN)
    brand.refresh_from_db()
    attacker, _ = _merchant(live_client, brand, "attacker@example.com")
    victim, victim_user = _merchant(live_client, brand, "victim@example.com")
    with tenant_context(brand):
        program = make_program(cascade_rates=[])
        product = make_product(victim_user, program=program)
        coupon_create(
            actor=None, affiliate=make_affiliate(brand, program), code="VICTIM10", offer_ref=product.offer_ref
        )
    sale = victim.post(RECORD, {"o": "V-1", "a": "80.00", "c": "VICTIM10"}, headers=victim.csrf).json()
    assert sale["data"]["conversionRecord"]["errors"] == []
    before = _written(brand)

    minted = attacker.post(
        RECORD, {"o": "EVIL-1", "a": "99999999.99", "c": "VICTIM10"}, headers=attacker.csrf
    ).json()["data"]["conversionRecord"]
    erased = attacker.post(CHARGEBACK, {"o": "V-1"}, headers=attacker.csrf).json()["data"]["conversionRefund"]

    assert minted == {
        "created": False,
        "conversion": None,
        "errors": [{"field": "couponCode", "code": "NOT_YOUR_OFFER"}],
    }
    assert erased == {"conversion": None, "errors": [{"field": "orderId", "code": "NOT_FOUND"}]}
    assert _written(brand) == before


def test_concurrent_conversion_records_of_one_order_over_http_make_one_conversion(
    live_brands, live_server_port
):
    """Six conversionRecord requests for the same order, by the same merchant's API token, sent
    at once: one conversion, one commission, five replays."""
    import threading

    import httpx

    from accounts.models import ApiTokenScope, Role
    from accounts.services import api_token_create
    from tests.conftest import domain_of, make_user

    brand, _ = live_brands
    with tenant_context(brand):
        program = make_program(cascade_rates=[])
        merchant = make_user(brand, role=Role.MERCHANT)
        product = make_product(merchant, program=program)
        coupon_create(
            actor=None,
            affiliate=make_affiliate(brand, program),
            code="RACE-HTTP",
            offer_ref=product.offer_ref,
        )
        _, token = api_token_create(user=merchant, name="shop", scopes=[ApiTokenScope.WRITE])
    count = 6
    barrier = threading.Barrier(count)
    answers: list[dict] = []
    lock = threading.Lock()

    def run() -> None:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{live_server_port}",
            headers={"Host": domain_of(brand), "Authorization": f"Bearer {token}"},
            timeout=30,
        ) as client:
            barrier.wait()
            response = client.post(
                "/graphql/",
                json={"query": RECORD, "variables": {"o": "RACE-HTTP-1", "a": "100.00", "c": "RACE-HTTP"}},
            )
        with lock:
            answers.append(response.json()["data"]["conversionRecord"])

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert len(answers) == count
    assert all(answer["errors"] == [] for answer in answers)
    assert sorted(answer["created"] for answer in answers) == [False] * (count - 1) + [True]
    with tenant_context(brand):
        assert Conversion.objects.filter(order_id="RACE-HTTP-1").count() == 1
        assert Commission.objects.filter(conversion__order_id="RACE-HTTP-1").count() == 1
