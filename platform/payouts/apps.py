from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Payout providers register themselves (payouts.providers) on import.
        # Stripe Connect: the payout provider registers itself; its webhook handlers join
        # payments.webhooks' registry.
        from payouts import stripe_webhooks  # noqa: F401
        from payouts.providers import (  # noqa: F401
            manual,
            paypal,
            stripe_connect,
        )
