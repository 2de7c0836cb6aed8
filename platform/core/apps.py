from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import logs, metrics

        # Request ids into the Celery tasks a request enqueues, and back out in the worker;
        # task failures counted by name (core.metrics).
        logs.structlog_configure()
        logs.celery_signals_connect()
        metrics.celery_signals_connect()
