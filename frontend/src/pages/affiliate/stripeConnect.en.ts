/**
 * English strings of Stripe Connect payouts (the wallet's "Get paid with Stripe" card), merged
 * into the app's catalog (i18n/en.ts spreads them). Every key here must exist in
 * stripeConnect.fr.ts too. `method.STRIPE` and the `error.STRIPE_*` codes follow the app's
 * existing key patterns (method labels, error codes) and belong to this feature alone.
 */
export const stripeConnectEn = {
  "method.STRIPE": "Stripe",
  "notificationKind.stripe_connect.payout_failed": "Stripe payout to your bank failed",
  "stripeConnect.title": "Get paid with Stripe",
  "stripeConnect.intro": "Withdrawals by Stripe go to your own Stripe account, which pays out to your bank. Stripe checks your identity and bank details once.",
  "stripeConnect.connect": "Connect with Stripe",
  "stripeConnect.continue": "Continue on Stripe",
  "stripeConnect.update": "Update my details on Stripe",
  "stripeConnect.opening": "Opening Stripe…",
  "stripeConnect.refresh": "Check my status",
  "stripeConnect.status": "Status",
  "stripeConnect.status.PENDING": "Pending",
  "stripeConnect.status.VERIFIED": "Verified",
  "stripeConnect.status.RESTRICTED": "Restricted",
  "stripeConnect.pendingHint": "Finish Stripe's onboarding to receive withdrawals by Stripe.",
  "stripeConnect.verifiedHint": "You can choose Stripe when you request a withdrawal.",
  "stripeConnect.restrictedHint": "Stripe needs more information before it can pay you:",
  "stripeConnect.account": "Stripe account {account}",
  "stripeConnect.payoutFailed": "Stripe could not pay {amount} out to your bank on {date}: {message} The money is safe in your Stripe balance: update your bank details on Stripe.",
  "stripeConnect.methodHint": "Paid to your Stripe account {account}.",
  "stripeConnect.methodNotReady": "Connect and verify your Stripe account first (see “Get paid with Stripe”).",
  "error.STRIPE_NOT_AVAILABLE": "Stripe payouts are not available.",
  "error.STRIPE_NOT_CONNECTED": "Connect a Stripe account before withdrawing by Stripe.",
  "error.STRIPE_NOT_VERIFIED": "Your Stripe account cannot receive payouts yet: finish onboarding on Stripe.",
} as const;
