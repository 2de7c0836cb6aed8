from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from analytics import subscribers  # noqa: F401  (registers the event handlers)
        from analytics.clicks import click_batch_record
        from tracking.recording import click_batch_recorder_register

        # The drain counts nothing itself: it hands each batch of fresh clicks to analytics.
        click_batch_recorder_register(click_batch_record)
