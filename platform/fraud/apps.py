from django.apps import AppConfig


class FraudConfig(AppConfig):
    name = "fraud"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from affiliation.screening import conversion_screener_register
        from fraud import subscribers  # noqa: F401  (registers the event handlers)
        from fraud.screening import click_batch_screen, conversion_rules_screen
        from tracking.recording import click_screener_register

        # The engine (affiliation) and the click lane (tracking) call these through their hooks.
        conversion_screener_register(conversion_rules_screen)
        click_screener_register(click_batch_screen)
