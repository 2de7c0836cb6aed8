from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Payout providers register themselves (payouts.providers) on import.
        from payouts.providers import manual, paypal  # noqa: F401
