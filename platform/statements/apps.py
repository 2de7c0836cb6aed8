from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "statements"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from statements import subscribers  # noqa: F401  (registers the event subscribers)
        from statements.identity import kyc_billing_identity, register

        register(kyc_billing_identity)  # who a self-billing invoice is for: the approved KYC profile
