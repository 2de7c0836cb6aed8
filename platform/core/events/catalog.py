"""Every domain event of the platform: one declaration each, sorted by name.

A payload carries ids and the facts an integrator needs without calling back (amounts as
decimal strings with their currency); never secrets or personal data beyond what the brand
already shows its admins. Changing a payload's meaning or removing a key is a new version.
``public=False`` keeps an event internal (not offered to webhooks, not in the catalogue).
"""

from __future__ import annotations

from core.events.registry import EventType, PayloadField

F = PayloadField

_commission_fields = {
    "commission_id": F("integer", "The commission."),
    "program_id": F("integer", "Its partner program."),
    "affiliate_id": F("integer", "The affiliate who earns it (the beneficiary)."),
    "conversion_id": F("integer", "The sale it was earned on; null for per-click earnings.", nullable=True),
    "level": F("integer", "0 for the affiliate who made the sale, 1+ for uplines (cascades)."),
    "kind": F("string", "percentage, fixed or per_click."),
    "amount": F("decimal", "What the affiliate earns."),
    "currency": F("string", "ISO 4217 code."),
    "status": F("string", "pending, available, paid or reversed."),
}

_withdrawal_fields = {
    "withdrawal_id": F("integer", "The withdrawal request."),
    "affiliate_id": F("integer", "The affiliate asking to be paid."),
    "amount": F("decimal", "The amount requested."),
    "currency": F("string", "ISO 4217 code."),
    "method": F("string", "How the affiliate is paid (bank_transfer, paypal…)."),
    "status": F("string", "requested, approved, processing, paid, failed or rejected."),
}

_payment_fields = {
    "payment_id": F("integer", "The payment."),
    "reference": F("string", "The reference shown to the payer."),
    "provider": F("string", "stripe, bank_transfer or free."),
    "purpose": F("string", "What it pays for: order, merchant_plan or membership."),
    "amount": F("decimal", "The amount paid."),
    "currency": F("string", "ISO 4217 code."),
    "order_id": F("integer", "The order it pays, if any.", nullable=True),
}

_plan_state_fields = {
    "subscription_id": F("integer", "The merchant's plan subscription."),
    "merchant_id": F("integer", "The merchant (user)."),
    "plan_code": F("string", "The plan subscribed to."),
    "plan_name": F("string", "Its name."),
    "effective_plan_code": F("string", "The plan whose quotas now apply."),
    "product_quota": F("integer", "Products the applying plan allows; null: unlimited.", nullable=True),
    "reason": F("string", "unpaid, canceled, past_due (grace period over) or paid (restored)."),
}

EVENT_TYPES: tuple[EventType, ...] = (
    EventType(
        name="affiliate.joined",
        version=1,
        description="A user joined a partner program (approved at once or pending review).",
        fields={
            "affiliate_id": F("integer", "The new membership."),
            "program_id": F("integer", "The program joined."),
            "user_id": F("integer", "The user who joined."),
            "status": F("string", "approved or pending."),
            "referred_by_id": F("integer", "The affiliate whose referral code was used.", nullable=True),
        },
    ),
    EventType(
        name="affiliate.status_changed",
        version=1,
        description="A brand admin approved, rejected or suspended an affiliate (their links redirect"
        " only while approved).",
        fields={
            "affiliate_id": F("integer", "The affiliate (a user's membership of a program)."),
            "program_id": F("integer", "The program."),
            "user_id": F("integer", "The user."),
            "status": F("string", "approved, rejected or suspended."),
            "previous_status": F("string", "The status before."),
        },
    ),
    EventType(
        name="brand.hosts_changed",
        version=1,
        description="The hosts a brand is served on changed (created, a custom domain verified or "
        "removed), or what the click lane shows or refuses on them (its name, its blocked networks).",
        fields={
            "removed": F("array", "Hosts no longer served by the brand."),
        },
        public=False,
    ),
    EventType(
        name="brand.updated",
        version=1,
        description="A brand's settings changed (name, theme, languages, policies).",
        fields={
            "changed": F("array", "The names of the settings that changed."),
        },
    ),
    EventType(
        name="click.recorded",
        version=1,
        description="A batch of clicks reached the database (sent per drain batch, not per click).",
        fields={
            "batch_key": F("string", "Identifies the batch (idempotency)."),
            "clicks": F("integer", "Clicks in the batch."),
            "unique_clicks": F("integer", "Of which first clicks of a visitor on a link."),
            "links": F("array", "Per link: {link_id, affiliate_id, program_id, clicks, unique_clicks}."),
        },
    ),
    EventType(
        name="commission.created",
        version=1,
        description="An affiliate earned a commission (on a sale, a subscription payment or clicks).",
        fields=_commission_fields,
    ),
    EventType(
        name="commission.reversed",
        version=1,
        description="A commission was taken back in part or in full (a refund or a chargeback).",
        fields={
            **_commission_fields,
            "reversed_amount": F("decimal", "Taken back by this reversal."),
            "total_reversed": F("decimal", "Taken back so far in all."),
        },
    ),
    EventType(
        name="conversion.created",
        version=1,
        description="A sale was attributed to an affiliate (its commissions follow as commission.created).",
        fields={
            "conversion_id": F("integer", "The conversion."),
            "program_id": F("integer", "Its partner program."),
            "affiliate_id": F("integer", "The affiliate credited."),
            "link_id": F("integer", "The tracked link clicked, if any.", nullable=True),
            "source": F("string", "Where the sale came from: api, postback, marketplace, stripe…"),
            "order_id": F("string", "The merchant's order id."),
            "amount": F("decimal", "The sale amount."),
            "currency": F("string", "ISO 4217 code."),
            "occurred_at": F("datetime", "When the sale happened."),
        },
    ),
    EventType(
        name="conversion.refunded",
        version=1,
        description="A sale was refunded or charged back in part or in full (its commissions follow as"
        " commission.reversed).",
        fields={
            "conversion_id": F("integer", "The conversion."),
            "program_id": F("integer", "Its partner program."),
            "affiliate_id": F("integer", "The affiliate credited."),
            "order_id": F("string", "The merchant's order id."),
            "refund_id": F("string", "The refund's id (one event per refund id)."),
            "kind": F("string", "refund or chargeback."),
            "amount": F("decimal", "Refunded by this refund."),
            "total_refunded": F("decimal", "Refunded so far in all."),
            "currency": F("string", "ISO 4217 code."),
        },
    ),
    EventType(
        name="fraud.flagged",
        version=1,
        description="A fraud rule opened a review case (a sale, clicks, a signup or a withdrawal). For the"
        " brand's admins only: the reasons stay in the review queue.",
        fields={
            "case_id": F("integer", "The review case."),
            "kind": F("string", "conversion, clicks, signup or withdrawal."),
            "program_id": F("integer", "The program."),
            "affiliate_id": F("integer", "The affiliate concerned."),
            "action": F("string", "flag, hold or reject: what the rules did."),
            "score": F("integer", "0 to 100."),
        },
        public=False,
    ),
    EventType(
        name="kyc.decided",
        version=1,
        description="A reviewer decided on a user's KYC profile (approved, rejected or more information"
        " needed).",
        fields={
            "profile_id": F("integer", "The KYC profile."),
            "user_id": F("integer", "The user it identifies."),
            "status": F("string", "approved, rejected or needs_more_info."),
            "reason": F("string", "Why it was rejected or what is missing (empty when approved)."),
        },
        public=False,
    ),
    EventType(
        name="kyc.expired",
        version=1,
        description="A user's identity document expired: their approved KYC profile is expired.",
        fields={
            "profile_id": F("integer", "The KYC profile."),
            "user_id": F("integer", "The user it identifies."),
            "expires_on": F("date", "The date the ID or a document expired."),
        },
        public=False,
    ),
    EventType(
        name="kyc.expiring",
        version=1,
        description="A user's identity document or KYC document expires soon (sent once per date).",
        fields={
            "profile_id": F("integer", "The KYC profile."),
            "user_id": F("integer", "The user it identifies."),
            "expires_on": F("date", "When it expires."),
        },
        public=False,
    ),
    EventType(
        name="kyc.submitted",
        version=1,
        description="A user submitted their KYC profile for review.",
        fields={
            "profile_id": F("integer", "The KYC profile."),
            "user_id": F("integer", "The user it identifies."),
            "kind": F("string", "individual or business."),
        },
        public=False,
    ),
    EventType(
        name="link.archived",
        version=1,
        description="An affiliate archived a tracked link: it answers the brand's 404 page from now on.",
        fields={
            "link_id": F("integer", "The link."),
            "affiliate_id": F("integer", "Its affiliate."),
            "program_id": F("integer", "Its program."),
            "code": F("string", "The short code in the link's URL."),
        },
    ),
    EventType(
        name="link.created",
        version=1,
        description="An affiliate created a tracked link.",
        fields={
            "link_id": F("integer", "The link."),
            "affiliate_id": F("integer", "Its affiliate."),
            "program_id": F("integer", "Its program."),
            "code": F("string", "The short code in the link's URL."),
            "target_url": F("string", "Where the link leads."),
        },
    ),
    EventType(
        name="merchant_plan.downgraded",
        version=1,
        description="A merchant's paid plan stopped applying after failed payments or its end: the "
        "Free plan's quotas apply and products above them are paused (not deleted).",
        fields=_plan_state_fields,
        public=False,
    ),
    EventType(
        name="merchant_plan.restored",
        version=1,
        description="A downgraded merchant's plan applies again (a payment went through): "
        "products paused by the downgrade are live again.",
        fields=_plan_state_fields,
        public=False,
    ),
    EventType(
        name="order.paid",
        version=1,
        description="A marketplace order was paid (vouchers issued, commissions recorded).",
        fields={
            "order_id": F("integer", "The order."),
            "number": F("string", "The order number shown to the customer."),
            "customer_id": F("integer", "The customer."),
            "total": F("decimal", "The amount paid."),
            "currency": F("string", "ISO 4217 code."),
            "payment_id": F("integer", "The payment that paid it."),
        },
    ),
    EventType(
        name="payment.confirmed",
        version=1,
        description="A payment was confirmed (card captured or bank transfer verified and confirmed).",
        fields=_payment_fields,
    ),
    EventType(
        name="payment.refunded",
        version=1,
        description="A payment was refunded in part or in full.",
        fields={
            **_payment_fields,
            "refunded_amount": F("decimal", "Refunded by this refund."),
        },
    ),
    EventType(
        name="payment.rejected",
        version=1,
        description="A brand admin refused a bank transfer (not received, wrong amount…).",
        fields={
            **_payment_fields,
            "reason": F("string", "Why, as the payer is told."),
            "rejected_by_id": F("integer", "The brand admin who refused it.", nullable=True),
        },
    ),
    EventType(
        name="program.updated",
        version=1,
        description="A brand admin changed a partner program's settings.",
        fields={
            "program_id": F("integer", "The program."),
            "changed": F("array", "The names of the fields that changed."),
        },
    ),
    EventType(
        name="stripe_connect.payout_failed",
        version=1,
        description=(
            "Stripe could not pay an affiliate's connected account out to their bank; the money "
            "stays in their Stripe balance until they fix their bank details in Stripe."
        ),
        fields={
            "user_id": F("integer", "The affiliate's user."),
            "account_id": F("string", "The Stripe connected account (acct_…)."),
            "payout_id": F("string", "Stripe's payout (po_…)."),
            "amount": F("decimal", "The amount Stripe tried to pay out."),
            "currency": F("string", "ISO 4217 code."),
            "failure_code": F("string", "Stripe's failure code (account_closed, no_account…)."),
            "failure_message": F("string", "Stripe's explanation."),
        },
        public=False,
    ),
    EventType(
        name="stripe_connect.updated",
        version=1,
        description="An affiliate's Stripe connected account changed status (pending, verified, restricted).",
        fields={
            "user_id": F("integer", "The affiliate's user."),
            "account_id": F("string", "The Stripe connected account (acct_…)."),
            "status": F("string", "pending, verified or restricted."),
        },
        public=False,
    ),
    EventType(
        name="subscription.payment_failed",
        version=1,
        description="A merchant plan's or a membership's payment was declined (Stripe retries it).",
        fields={
            "subscription_kind": F("string", "merchant_plan or membership."),
            "subscription_id": F("integer", "The merchant subscription or the membership."),
            "user_id": F("integer", "The merchant or the member who pays it."),
            "plan_name": F("string", "The plan's name."),
            "amount": F("decimal", "The amount that could not be collected."),
            "currency": F("string", "ISO 4217 code."),
            "attempt_count": F("integer", "How many times Stripe has tried to collect it."),
            "grace_until": F("datetime", "Merchant plans: until when the plan's quotas stay.", nullable=True),
        },
        public=False,
    ),
    EventType(
        name="user.signed_up",
        version=1,
        description="A user signed up on the brand (awaiting approval when the role asked for needs it).",
        fields={
            "user_id": F("integer", "The new user."),
            "role": F("string", "The role given (customer while a requested role awaits approval)."),
            "click_id": F(
                "string",
                "The tracked click the signup comes from (first-party cookie), if any.",
                nullable=True,
            ),
        },
        public=False,  # the funnel's step for analytics; integrators get affiliate.joined
    ),
    EventType(
        name="withdrawal.approved",
        version=1,
        description="A brand admin approved a withdrawal; it is waiting to be paid.",
        fields=_withdrawal_fields,
    ),
    EventType(
        name="withdrawal.failed",
        version=1,
        description="An automated payout failed or was returned; the money is available again.",
        fields={**_withdrawal_fields, "reason": F("string", "The payout provider's reason.")},
    ),
    EventType(
        name="withdrawal.paid",
        version=1,
        description="A withdrawal was paid out.",
        fields={**_withdrawal_fields, "payment_reference": F("string", "The payout's reference.")},
    ),
    EventType(
        name="withdrawal.processing",
        version=1,
        description="A withdrawal was sent to a payout provider (PayPal, Stripe); the outcome follows.",
        fields=_withdrawal_fields,
    ),
    EventType(
        name="withdrawal.rejected",
        version=1,
        description="A brand admin rejected a withdrawal; the money is available again.",
        fields={**_withdrawal_fields, "reason": F("string", "Why, as told to the affiliate.")},
    ),
    EventType(
        name="withdrawal.requested",
        version=1,
        description="An affiliate asked to be paid; the amount is reserved from their balance.",
        fields=_withdrawal_fields,
    ),
)
