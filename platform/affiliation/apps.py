from django.apps import AppConfig


class AffiliationConfig(AppConfig):
    name = "affiliation"
    default_auto_field = "django.db.models.BigAutoField"
