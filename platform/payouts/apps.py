from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Stripe Connect: the payout provider registers itself; its webhook handlers join
        # payments.webhooks' registry.
        from payouts import stripe_webhooks  # noqa: F401
        from payouts.providers import stripe_connect  # noqa: F401
