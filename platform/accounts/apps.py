from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.models import User
        from ledger.models import OwnerType
        from ledger.services import ledger_owner_protect

        # A merchant whose sales are in the ledger is never deleted: the ledger keeps only its id.
        ledger_owner_protect(model=User, owner_type=OwnerType.MERCHANT)
