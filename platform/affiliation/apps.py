from django.apps import AppConfig


class AffiliationConfig(AppConfig):
    name = "affiliation"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from affiliation.models import Affiliate
        from ledger.models import OwnerType
        from ledger.services import ledger_owner_protect

        # An affiliate whose money is in the ledger is never deleted (nor by cascade from its
        # user or program): the ledger keeps only its id.
        ledger_owner_protect(model=Affiliate, owner_type=OwnerType.AFFILIATE)
