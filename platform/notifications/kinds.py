"""Who is told of which domain event, and what they read: the notification kinds.

One ``NotificationKind`` per domain event a user may hear about, in the way pretix's
``NotificationType`` hangs on its log's action types: the kind names the event, finds its
recipients from the payload (through selectors of the apps that own the rows), renders a title,
a body and a link in the web app for each, and says which methods it is offered on and whether
each is on by default. Users override the defaults per kind and method
(``NotificationPreference``).

Texts are in the brand's language (English or French, as the brand's emails are): users have no
language of their own yet. A new kind: add it to ``KINDS`` and subscribe it in
``notifications.subscribers``; its preferences row appears in the web app by itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from accounts.models import Role
from accounts.selectors import brand_admin_ids
from affiliation.selectors import affiliate_user_ids, conversion_merchant_id
from core.events import Event
from core.money import quantize
from notifications.models import Method

LANGUAGES = ("en", "fr")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    audience: str  # "affiliate", "admin" or "merchant": whose point of view the text takes


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    url: str  # a path in the web app

    def text(self) -> str:
        """One plain text for email and messaging: the title, then the body."""
        return f"{self.title}\n\n{self.body}" if self.body else self.title


Texts = Mapping[str, tuple[str, str]]  # language -> (title, body) templates, str.format'ed


@dataclass(frozen=True)
class NotificationKind:
    name: str  # the domain event's name
    label: Mapping[str, str]  # language -> what the preferences page calls it
    roles: tuple[str, ...]  # who may receive it (the preferences page shows it to them)
    recipients: Callable[[Event], list[Recipient]]
    texts: Mapping[str, Texts]  # audience -> texts
    urls: Mapping[str, str]  # audience -> path in the web app
    # Methods offered, each with its default. Messaging is always off until the user opts in.
    defaults: Mapping[str, bool] = field(default_factory=dict)

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.defaults)

    def render(self, event: Event, recipient: Recipient, language: str) -> Message:
        language = language if language in LANGUAGES else "en"
        title, body = self.texts[recipient.audience][language]
        values = _values(event.payload, language)
        return Message(
            title=title.format(**values), body=body.format(**values), url=self.urls[recipient.audience]
        )


def _values(payload: Mapping[str, Any], language: str) -> dict[str, Any]:
    values = dict(payload)
    currency = str(payload.get("currency", ""))
    for key in ("amount", "reversed_amount", "total_reversed"):
        if key in payload and currency:  # "25.0000" as stored -> "25.00" as shown
            values[key] = quantize(Decimal(str(payload[key])), currency)
    status = str(payload.get("status", ""))
    values["status_text"] = STATUS_TEXT.get(language, STATUS_TEXT["en"]).get(status, status)
    values["kyc_status_text"] = KYC_STATUS_TEXT.get(language, KYC_STATUS_TEXT["en"]).get(status, status)
    method = str(payload.get("method", ""))
    values["method_text"] = METHOD_TEXT.get(language, METHOD_TEXT["en"]).get(method, method)
    grace_until = payload.get("grace_until")
    values["grace_until_text"] = str(grace_until)[:10] if grace_until else "-"
    return values


STATUS_TEXT = {
    "en": {"pending": "pending", "available": "available", "approved": "approved", "reversed": "reversed"},
    "fr": {
        "pending": "en attente",
        "available": "disponible",
        "approved": "approuvée",
        "reversed": "annulée",
    },
}
METHOD_TEXT = {
    "en": {"bank_transfer": "bank transfer", "paypal": "PayPal", "stripe": "Stripe"},
    "fr": {"bank_transfer": "virement", "paypal": "PayPal", "stripe": "Stripe"},
}

# Defaults: in the app on; email on for money; messaging off (the user links a chat first).
MONEY: dict[str, bool] = {
    Method.IN_APP: True,
    Method.EMAIL: True,
    Method.TELEGRAM: False,
    Method.WHATSAPP: False,
}
QUIET: dict[str, bool] = {**MONEY, Method.EMAIL: False}
# Withdrawal statuses are already emailed to the affiliate by payouts (a transactional email they
# always get): the centre offers them in the app and by messaging only, never a second email.
NO_EMAIL: dict[str, bool] = {Method.IN_APP: True, Method.TELEGRAM: False, Method.WHATSAPP: False}


def _affiliate(event: Event) -> list[Recipient]:
    user_id = affiliate_user_ids([int(event.payload["affiliate_id"])]).get(int(event.payload["affiliate_id"]))
    return [Recipient(user_id, "affiliate")] if user_id is not None else []


def _admins(event: Event) -> list[Recipient]:
    return [Recipient(user_id, "admin") for user_id in brand_admin_ids()]


def _joined(event: Event) -> list[Recipient]:
    """The affiliate, and the brand's admins when the membership waits for their review. A
    brand admin who joins hears it as the affiliate (one notification per user per event)."""
    recipients = [Recipient(int(event.payload["user_id"]), "affiliate")]
    if event.payload["status"] == "pending":
        recipients += [r for r in _admins(event) if r.user_id != recipients[0].user_id]
    return recipients


def _user(event: Event) -> list[Recipient]:
    return [Recipient(int(event.payload["user_id"]), "affiliate")]


def _merchant(event: Event) -> list[Recipient]:
    merchant_id = conversion_merchant_id(int(event.payload["conversion_id"]))
    return [Recipient(merchant_id, "merchant")] if merchant_id is not None else []


def _kyc_user(event: Event) -> list[Recipient]:
    """The user a KYC profile identifies (an affiliate or a merchant)."""
    return [Recipient(int(event.payload["user_id"]), "user")]


KYC_STATUS_TEXT = {
    "en": {"approved": "approved", "rejected": "rejected", "needs_more_info": "waiting for more information"},
    "fr": {"approved": "approuvée", "rejected": "refusée", "needs_more_info": "en attente de compléments"},
}


def _payer(event: Event) -> list[Recipient]:
    audience = "merchant" if event.payload["subscription_kind"] == "merchant_plan" else "member"
    return [Recipient(int(event.payload["user_id"]), audience)]


def _plan_merchant(event: Event) -> list[Recipient]:
    return [Recipient(int(event.payload["merchant_id"]), "merchant")]


# Who pays a subscription: merchants (plans) and anyone holding a membership.
PAYERS = (Role.MERCHANT, Role.CUSTOMER, Role.AFFILIATE)

KINDS: dict[str, NotificationKind] = {
    kind.name: kind
    for kind in (
        NotificationKind(
            name="commission.created",
            label={"en": "Commission earned", "fr": "Commission gagnée"},
            roles=(Role.AFFILIATE,),
            recipients=_affiliate,
            texts={
                "affiliate": {
                    "en": (
                        "Commission earned: {amount} {currency}",
                        "A sale earned you {amount} {currency} ({status_text}).",
                    ),
                    "fr": (
                        "Commission gagnée : {amount} {currency}",
                        "Une vente vous a rapporté {amount} {currency} ({status_text}).",
                    ),
                }
            },
            urls={"affiliate": "/commissions"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="commission.reversed",
            label={"en": "Commission reversed", "fr": "Commission annulée"},
            roles=(Role.AFFILIATE,),
            recipients=_affiliate,
            texts={
                "affiliate": {
                    "en": (
                        "Commission reversed: -{reversed_amount} {currency}",
                        "A refund or chargeback took back {reversed_amount} {currency} of a commission of "
                        "{amount} {currency}.",
                    ),
                    "fr": (
                        "Commission annulée : -{reversed_amount} {currency}",
                        "Un remboursement a repris {reversed_amount} {currency} d'une commission de "
                        "{amount} {currency}.",
                    ),
                }
            },
            urls={"affiliate": "/commissions"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="conversion.created",
            label={"en": "New sale of my offers", "fr": "Nouvelle vente de mes offres"},
            roles=(Role.MERCHANT,),
            recipients=_merchant,
            texts={
                "merchant": {
                    "en": ("New sale: {amount} {currency}", "Order {order_id} was credited to an affiliate."),
                    "fr": (
                        "Nouvelle vente : {amount} {currency}",
                        "La commande {order_id} a été attribuée à un affilié.",
                    ),
                }
            },
            urls={"merchant": "/merchant/sales"},
            defaults=QUIET,
        ),
        NotificationKind(
            name="affiliate.joined",
            label={"en": "Program membership", "fr": "Adhésion à un programme"},
            roles=(Role.AFFILIATE, Role.BRAND_ADMIN),
            recipients=_joined,
            texts={
                "affiliate": {
                    "en": ("You joined a program", "Your membership is {status_text}."),
                    "fr": ("Vous avez rejoint un programme", "Votre adhésion est : {status_text}."),
                },
                "admin": {
                    "en": (
                        "New affiliate to review",
                        "Someone asked to join a program: approve or reject them.",
                    ),
                    "fr": (
                        "Nouvel affilié à examiner",
                        "Quelqu'un demande à rejoindre un programme : acceptez ou refusez.",
                    ),
                },
            },
            urls={"affiliate": "/dashboard", "admin": "/admin/users"},
            defaults=QUIET,
        ),
        NotificationKind(
            name="fraud.flagged",
            label={"en": "Fraud review", "fr": "Contrôle anti-fraude"},
            roles=(Role.BRAND_ADMIN,),
            recipients=_admins,
            texts={
                "admin": {
                    "en": (
                        "Fraud review: a {kind} to check (score {score})",
                        "The fraud rules acted ({action}) on a {kind} of affiliate #{affiliate_id}.",
                    ),
                    "fr": (
                        "Contrôle anti-fraude : {kind} à vérifier (score {score})",
                        "Les règles anti-fraude ont agi ({action}) sur {kind} "
                        "de l'affilié n° {affiliate_id}.",
                    ),
                }
            },
            urls={"admin": "/admin/fraud"},
            defaults=NO_EMAIL,
        ),
        NotificationKind(
            name="withdrawal.requested",
            label={"en": "Withdrawal requested", "fr": "Retrait demandé"},
            roles=(Role.BRAND_ADMIN,),
            recipients=_admins,
            texts={
                "admin": {
                    "en": (
                        "Withdrawal requested: {amount} {currency}",
                        "An affiliate asked to be paid by {method_text}.",
                    ),
                    "fr": (
                        "Retrait demandé : {amount} {currency}",
                        "Un affilié demande à être payé par {method_text}.",
                    ),
                }
            },
            urls={"admin": "/admin/withdrawals"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="withdrawal.approved",
            label={"en": "Withdrawal approved", "fr": "Retrait approuvé"},
            roles=(Role.AFFILIATE,),
            recipients=_affiliate,
            texts={
                "affiliate": {
                    "en": (
                        "Withdrawal approved: {amount} {currency}",
                        "It will be paid by {method_text} soon.",
                    ),
                    "fr": (
                        "Retrait approuvé : {amount} {currency}",
                        "Il sera bientôt payé par {method_text}.",
                    ),
                }
            },
            urls={"affiliate": "/wallet"},
            defaults=NO_EMAIL,
        ),
        NotificationKind(
            name="stripe_connect.payout_failed",
            label={
                "en": "Stripe payout to your bank failed",
                "fr": "Virement Stripe vers votre banque échoué",
            },
            roles=(Role.AFFILIATE,),
            recipients=_user,
            texts={
                "affiliate": {
                    "en": (
                        "Stripe could not pay {amount} {currency} to your bank",
                        "{failure_message} The money is safe in your Stripe balance: update your bank "
                        "details in Stripe and it will be paid out again.",
                    ),
                    "fr": (
                        "Stripe n'a pas pu virer {amount} {currency} vers votre banque",
                        "{failure_message} L'argent reste sur votre solde Stripe : corrigez vos "
                        "coordonnées bancaires dans Stripe et il sera de nouveau versé.",
                    ),
                }
            },
            urls={"affiliate": "/wallet"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="withdrawal.paid",
            label={"en": "Withdrawal paid", "fr": "Retrait payé"},
            roles=(Role.AFFILIATE,),
            recipients=_affiliate,
            texts={
                "affiliate": {
                    "en": ("Withdrawal paid: {amount} {currency}", "Payment reference: {payment_reference}."),
                    "fr": (
                        "Retrait payé : {amount} {currency}",
                        "Référence du paiement : {payment_reference}.",
                    ),
                }
            },
            urls={"affiliate": "/wallet"},
            defaults=NO_EMAIL,
        ),
        NotificationKind(
            name="withdrawal.failed",
            label={"en": "Withdrawal failed", "fr": "Retrait échoué"},
            roles=(Role.AFFILIATE,),
            recipients=_affiliate,
            texts={
                "affiliate": {
                    "en": (
                        "Withdrawal failed: {amount} {currency}",
                        "The amount is available again. Reason: {reason}",
                    ),
                    "fr": (
                        "Retrait échoué : {amount} {currency}",
                        "Le montant est de nouveau disponible. Motif : {reason}",
                    ),
                }
            },
            urls={"affiliate": "/wallet"},
            defaults=NO_EMAIL,
        ),
        NotificationKind(
            name="withdrawal.rejected",
            label={"en": "Withdrawal rejected", "fr": "Retrait refusé"},
            roles=(Role.AFFILIATE,),
            recipients=_affiliate,
            texts={
                "affiliate": {
                    "en": (
                        "Withdrawal rejected: {amount} {currency}",
                        "The amount is available again. Reason: {reason}",
                    ),
                    "fr": (
                        "Retrait refusé : {amount} {currency}",
                        "Le montant est de nouveau disponible. Motif : {reason}",
                    ),
                }
            },
            urls={"affiliate": "/wallet"},
            defaults=NO_EMAIL,
        ),
        NotificationKind(
            name="kyc.submitted",
            label={"en": "Identity verification to review", "fr": "Vérification d'identité à examiner"},
            roles=(Role.BRAND_ADMIN,),
            recipients=_admins,
            texts={
                "admin": {
                    "en": ("Identity verification to review", "A user submitted their KYC profile."),
                    "fr": (
                        "Vérification d'identité à examiner",
                        "Un utilisateur a soumis son dossier KYC.",
                    ),
                }
            },
            urls={"admin": "/admin/kyc"},
            defaults=QUIET,
        ),
        NotificationKind(
            name="kyc.decided",
            label={"en": "Identity verification", "fr": "Vérification d'identité"},
            roles=(Role.AFFILIATE, Role.MERCHANT),
            recipients=_kyc_user,
            texts={
                "user": {
                    "en": ("Identity verification {kyc_status_text}", "{reason}"),
                    "fr": ("Vérification d'identité {kyc_status_text}", "{reason}"),
                }
            },
            urls={"user": "/account/kyc"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="kyc.expiring",
            label={"en": "Identity document expiring", "fr": "Pièce d'identité bientôt expirée"},
            roles=(Role.AFFILIATE, Role.MERCHANT),
            recipients=_kyc_user,
            texts={
                "user": {
                    "en": (
                        "Your identity document expires on {expires_on}",
                        "Upload a valid one before then to keep being paid.",
                    ),
                    "fr": (
                        "Votre pièce d'identité expire le {expires_on}",
                        "Envoyez-en une valide avant cette date pour continuer à être payé.",
                    ),
                }
            },
            urls={"user": "/account/kyc"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="kyc.expired",
            label={"en": "Identity document expired", "fr": "Pièce d'identité expirée"},
            roles=(Role.AFFILIATE, Role.MERCHANT),
            recipients=_kyc_user,
            texts={
                "user": {
                    "en": (
                        "Your identity verification expired",
                        "A document expired on {expires_on}: submit a valid one to be paid again.",
                    ),
                    "fr": (
                        "Votre vérification d'identité a expiré",
                        "Un document a expiré le {expires_on} : envoyez-en un valide pour être "
                        "de nouveau payé.",
                    ),
                }
            },
            urls={"user": "/account/kyc"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="subscription.payment_failed",
            label={"en": "Subscription payment failed", "fr": "Échec de paiement d'abonnement"},
            roles=PAYERS,
            recipients=_payer,
            texts={
                "merchant": {
                    "en": (
                        "Your {plan_name} plan payment failed",
                        "We could not collect {amount} {currency} (attempt {attempt_count}). Update your "
                        "card from the Billing page (Manage card): your plan's limits stay until "
                        "{grace_until_text}, then your account moves to the Free plan and products above "
                        "its limit are paused.",
                    ),
                    "fr": (
                        "Échec du paiement de votre offre {plan_name}",
                        "Nous n'avons pas pu encaisser {amount} {currency} (tentative {attempt_count}). "
                        "Mettez à jour votre carte depuis la page Facturation (Gérer la carte) : les "
                        "limites de votre offre restent jusqu'au {grace_until_text}, puis votre compte "
                        "passe à l'offre gratuite et les produits au-delà de sa limite sont mis en pause.",
                    ),
                },
                "member": {
                    "en": (
                        "Your {plan_name} membership payment failed",
                        "We could not collect {amount} {currency} (attempt {attempt_count}). Update your "
                        "card in the payment portal to keep your membership.",
                    ),
                    "fr": (
                        "Échec du paiement de votre abonnement {plan_name}",
                        "Nous n'avons pas pu encaisser {amount} {currency} (tentative {attempt_count}). "
                        "Mettez à jour votre carte dans le portail de paiement pour garder votre abonnement.",
                    ),
                },
            },
            urls={"merchant": "/billing", "member": "/notifications"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="merchant_plan.downgraded",
            label={"en": "Plan downgraded", "fr": "Offre rétrogradée"},
            roles=(Role.MERCHANT,),
            recipients=_plan_merchant,
            texts={
                "merchant": {
                    "en": (
                        "Your account moved to the Free plan",
                        "Your {plan_name} plan was not paid ({reason}). Products above the Free plan's "
                        "limit are paused, not deleted: pay or choose a plan on the Billing page and they "
                        "come back.",
                    ),
                    "fr": (
                        "Votre compte est passé à l'offre gratuite",
                        "Votre offre {plan_name} n'a pas été payée ({reason}). Les produits au-delà de la "
                        "limite de l'offre gratuite sont en pause, pas supprimés : payez ou choisissez une "
                        "offre sur la page Facturation pour les retrouver.",
                    ),
                }
            },
            urls={"merchant": "/billing"},
            defaults=MONEY,
        ),
        NotificationKind(
            name="merchant_plan.restored",
            label={"en": "Plan restored", "fr": "Offre rétablie"},
            roles=(Role.MERCHANT,),
            recipients=_plan_merchant,
            texts={
                "merchant": {
                    "en": (
                        "Your {plan_name} plan is back",
                        "Your payment went through: your plan's limits apply again and the products "
                        "paused by the downgrade are live again.",
                    ),
                    "fr": (
                        "Votre offre {plan_name} est rétablie",
                        "Votre paiement est passé : les limites de votre offre s'appliquent de nouveau et "
                        "les produits mis en pause sont de nouveau en ligne.",
                    ),
                }
            },
            urls={"merchant": "/merchant/products"},
            defaults=MONEY,
        ),
    )
}


def kind_get(name: str) -> NotificationKind:
    try:
        return KINDS[name]
    except KeyError:
        raise LookupError(f"unknown notification kind {name!r}") from None


def kinds_for_role(role: str) -> list[NotificationKind]:
    return [kind for kind in KINDS.values() if role in kind.roles]
