from django.apps import AppConfig


class MarketplaceConfig(AppConfig):
    name = "marketplace"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from affiliation.offers import offer_resolver_register
        from marketplace import subscribers
        from marketplace.selectors import product_offer_owner

        offer_resolver_register("product", product_offer_owner)
        subscribers.register()
