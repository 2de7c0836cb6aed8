/** Les textes français de Stripe Connect (voir stripeConnect.en.ts). */
import type { stripeConnectEn } from "./stripeConnect.en";

export const stripeConnectFr: Record<keyof typeof stripeConnectEn, string> = {
  "method.STRIPE": "Stripe",
  "notificationKind.stripe_connect.payout_failed": "Virement Stripe vers votre banque échoué",
  "stripeConnect.title": "Être payé avec Stripe",
  "stripeConnect.intro": "Les retraits par Stripe arrivent sur votre propre compte Stripe, qui les vire sur votre compte bancaire. Stripe vérifie une fois votre identité et vos coordonnées bancaires.",
  "stripeConnect.connect": "Se connecter avec Stripe",
  "stripeConnect.continue": "Continuer sur Stripe",
  "stripeConnect.update": "Modifier mes informations sur Stripe",
  "stripeConnect.opening": "Ouverture de Stripe…",
  "stripeConnect.refresh": "Vérifier mon statut",
  "stripeConnect.status": "Statut",
  "stripeConnect.status.PENDING": "En attente",
  "stripeConnect.status.VERIFIED": "Vérifié",
  "stripeConnect.status.RESTRICTED": "Restreint",
  "stripeConnect.pendingHint": "Terminez l'inscription sur Stripe pour recevoir vos retraits par Stripe.",
  "stripeConnect.verifiedHint": "Vous pouvez choisir Stripe lorsque vous demandez un retrait.",
  "stripeConnect.restrictedHint": "Stripe a besoin d'informations supplémentaires avant de pouvoir vous payer :",
  "stripeConnect.account": "Compte Stripe {account}",
  "stripeConnect.payoutFailed": "Stripe n'a pas pu virer {amount} sur votre compte bancaire le {date} : {message} L'argent reste sur votre solde Stripe : corrigez vos coordonnées bancaires sur Stripe.",
  "stripeConnect.methodHint": "Versé sur votre compte Stripe {account}.",
  "stripeConnect.methodNotReady": "Connectez et faites vérifier votre compte Stripe d'abord (voir « Être payé avec Stripe »).",
  "error.STRIPE_NOT_AVAILABLE": "Les paiements par Stripe ne sont pas disponibles.",
  "error.STRIPE_NOT_CONNECTED": "Connectez un compte Stripe avant de demander un retrait par Stripe.",
  "error.STRIPE_NOT_VERIFIED": "Votre compte Stripe ne peut pas encore recevoir de virements : terminez l'inscription sur Stripe.",
};
