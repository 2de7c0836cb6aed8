/**
 * English strings of the brand admin's failing subscriptions list (merchant plans and memberships
 * whose card payments fail), merged into the app's catalog (i18n/en.ts spreads them). Every key
 * here must exist in failingSubs.fr.ts too.
 */
export const failingSubsEn = {
  "failingSubs.nav": "Failing payments",
  "failingSubs.title": "Failing subscriptions",
  "failingSubs.subtitle":
    "Merchant plans and memberships whose card payments fail. Stripe retries them; the customer was told to update their card. A merchant keeps their plan during the grace period, then moves to the Free plan with extra products paused.",
  "failingSubs.empty": "No failing subscription: every card payment went through.",
  "failingSubs.list": "Failing subscriptions",
  "failingSubs.filter": "Show",
  "failingSubs.filter.ALL": "All",
  "failingSubs.filter.MERCHANT_PLAN": "Merchant plans",
  "failingSubs.filter.MEMBERSHIP": "Memberships",
  "failingSubs.customer": "Customer",
  "failingSubs.kind": "Kind",
  "failingSubs.kind.MERCHANT_PLAN": "Merchant plan",
  "failingSubs.kind.MEMBERSHIP": "Membership",
  "failingSubs.plan": "Plan",
  "failingSubs.status": "Status",
  "failingSubs.status.PAST_DUE": "Past due (retrying)",
  "failingSubs.status.UNPAID": "Unpaid (retries over)",
  "failingSubs.status.INCOMPLETE": "First payment missing",
  "failingSubs.failedSince": "Failing since",
  "failingSubs.grace": "Grace period",
  "failingSubs.graceUntil": "until {date}",
  "failingSubs.downgraded": "Moved to Free",
  "failingSubs.none": "—",
  "failingSubs.settingsTitle": "Failed plan payments",
  "failingSubs.graceDays": "Grace period (days)",
  "failingSubs.graceDaysHint":
    "After a merchant's plan payment fails, they keep their plan's limits this many days (0 to 60) while Stripe retries; then the Free plan applies and products above its limit are paused.",
  "failingSubs.banner.title": "Your last plan payment failed",
  "failingSubs.banner.body": "Update your card (Manage card) so that Stripe can collect it. Your plan's limits stay until {date}; then your account moves to the Free plan and products above its limit are paused.",
  "failingSubs.banner.downgraded": "Your plan was not paid: the Free plan applies and products above its limit are paused. Update your card (Manage card) to restore your plan and your products.",
  "subscription.UNPAID": "Unpaid",
} as const;
