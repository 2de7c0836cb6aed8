"""Merchants' live counters between brands: a click in brand A reaches no subscriber of brand B,
whose groups and rollups are B's own even where ids coincide."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async

from accounts.models import Role
from tests.conftest import make_user
from tests.marketplace.test_merchant_live import (
    MERCHANT_STATS,
    ZERO,
    click,
    click_drain,
    committed,
    next_stats,
    shop,
    socket_for,
)

pytestmark = pytest.mark.live

__all__ = ["click_drain", "committed"]  # fixtures


async def test_a_merchant_of_brand_b_sees_nothing_of_brand_a(live_brands, live_server_port, click_drain):
    brand_a, brand_b = live_brands
    in_a = await sync_to_async(shop)(brand_a)
    in_b = await sync_to_async(shop)(brand_b)
    admin_b = await sync_to_async(make_user)(brand_b, role=Role.BRAND_ADMIN)
    merchant_a = await socket_for(live_server_port, brand_a, in_a.merchant)
    merchant_b = await socket_for(live_server_port, brand_b, in_b.merchant)
    admin_of_b = await socket_for(live_server_port, brand_b, admin_b)
    await merchant_a.subscribe(MERCHANT_STATS)
    await merchant_b.subscribe(MERCHANT_STATS)
    # Brand A's merchant id, asked on brand B: B's own user of that id, if any, never A's rows.
    await admin_of_b.subscribe(MERCHANT_STATS, {"m": str(in_a.merchant.pk)})
    assert await next_stats(merchant_a) == ZERO
    assert await next_stats(merchant_b) == ZERO
    admin_first = await admin_of_b.receive()
    if admin_first["type"] == "next" and admin_first["payload"].get("data"):
        assert admin_first["payload"]["data"]["merchantStats"]["clicks"] == 0
    await asyncio.sleep(0.2)

    await sync_to_async(click)(live_server_port, in_a.host, in_a.link.code)

    assert (await next_stats(merchant_a, timeout=3))["clicks"] == 1
    with pytest.raises(TimeoutError):
        await merchant_b.receive(timeout=1.5)
    with pytest.raises(TimeoutError):
        await admin_of_b.receive(timeout=0.5)
    for socket in (merchant_a, merchant_b, admin_of_b):
        await socket.close()
