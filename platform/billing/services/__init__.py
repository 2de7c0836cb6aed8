"""Writes of the billing domain, by entity: plans (merchant plans, quotas and fees),
subscriptions (Stripe Billing and bank transfer for merchant plans), memberships (member
subscriptions with referral), stripe_sync (prices and subscription state kept in step with
Stripe), payments and invoices. Import from the module you need: they import each other
lazily where they meet."""
