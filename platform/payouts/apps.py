from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Payout providers register themselves (payouts.providers) on import.
        from payouts.providers import manual, paypal  # noqa: F401
        # Stripe Connect: the payout provider registers itself; its webhook handlers join
        # payments.webhooks' registry.
        from payouts import stripe_webhooks  # noqa: F401
        from payouts.providers import stripe_connect  # noqa: F401
