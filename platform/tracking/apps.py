from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "tracking"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from affiliation.clicks import click_source_register
        from tracking import subscribers  # noqa: F401  (registers the event handlers)
        from tracking.selectors import click_facts_of

        # Attribution (affiliation, below) reads a sale's click through this source.
        click_source_register(click_facts_of)
