from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import strawberry

from accounts.models import Role
from core.events import group_name
from core.tenancy import run_in_tenant
from graphql_schema.access import not_found
from graphql_schema.context import Info
from graphql_schema.payments.types import Payment
from graphql_schema.permissions import IsBrandMember
from payments.models import Payment as PaymentModel
from payments.selectors import payment_visible_to
from payments.services.payments import ADMIN_QUEUE_TOPIC, PAYMENT_EVENT, payment_topic


def _snapshot(payment_id: int) -> Payment | None:
    payment = PaymentModel.objects.select_related("order").filter(pk=payment_id).first()
    return Payment.from_model(payment) if payment is not None else None


def _payment_id(user: Any, reference: str) -> int | None:
    payment = payment_visible_to(user, reference)
    return payment.pk if payment is not None else None


@strawberry.type
class PaymentSubscription:
    @strawberry.subscription(
        permission_classes=[IsBrandMember],
        description="A payment as its status changes: mine by reference (its current state first), or, for "
        "brand admins without a reference, every payment of the brand (the manual-payment queue).",
    )
    async def payment_updated(
        self, info: Info, reference: str | None = None
    ) -> AsyncGenerator[Payment, None]:
        context = info.context
        schema = context.tenant.schema_name
        if reference:
            payment_id = await run_in_tenant(context.tenant, _payment_id, context.user, reference)
            if payment_id is None:
                raise not_found("Payment")
            groups = [group_name(schema, payment_topic(payment_id))]
        elif getattr(context.user, "role", None) == Role.BRAND_ADMIN:
            payment_id = None
            groups = [group_name(schema, ADMIN_QUEUE_TOPIC)]
        else:
            raise not_found("Payment")
        async with context.ws.listen_to_channel(PAYMENT_EVENT, groups=groups) as updates:
            if payment_id is not None:
                current = await run_in_tenant(context.tenant, _snapshot, payment_id)
                if current is not None:
                    yield current
            async for update in updates:
                snapshot = await run_in_tenant(context.tenant, _snapshot, update["payload"]["id"])
                if snapshot is not None:
                    yield snapshot
