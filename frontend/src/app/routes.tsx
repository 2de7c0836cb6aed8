/**
 * Every page of the app, in one table. A route says where it is served (a brand's host or the
 * operator's root domain), who may open it, and whether (and where) it shows in the navigation.
 * To add pages (marketplace, merchant, billing, ...), append entries here: the router, the
 * access checks and the menus follow.
 */
import { lazy, type ComponentType, type LazyExoticComponent } from "react";

import type { Role } from "../gql/graphql";
import type { MessageKey } from "../i18n";

export type Host = "brand" | "root";
/** public: the site's menu; app: the signed-in user's work menu; account: the user menu. */
export type NavSection = "public" | "app" | "account";
/** Where an entry of a long workspace menu (a brand admin's) is filed: one disclosure per group. */
export type NavGroup = "money" | "people" | "program" | "settings" | "developers";

export interface AppRoute {
  path: string;
  page: LazyExoticComponent<ComponentType>;
  host: Host;
  /** Page title (also the menu label unless `nav.label` says otherwise). */
  title: MessageKey;
  /** Absent: everyone. "signed-in": any signed-in user. Else: one of these roles. */
  access?: "signed-in" | Role[];
  nav?: { section: NavSection; label?: MessageKey; group?: NavGroup };
}

const page = (load: () => Promise<{ default: ComponentType }>) => lazy(load);

export const ROUTES: AppRoute[] = [
  // Public pages of a brand.
  { path: "/", host: "brand", title: "nav.home", page: page(() => import("../pages/public/Home")), nav: { section: "public" } },
  { path: "/program", host: "brand", title: "nav.program", page: page(() => import("../pages/public/ProgramLanding")), nav: { section: "public" } },
  { path: "/leaderboard", host: "brand", title: "nav.leaderboard", page: page(() => import("../pages/public/Leaderboard")), nav: { section: "public" } },
  { path: "/faq", host: "brand", title: "nav.faq", page: page(() => import("../pages/public/Faq")), nav: { section: "public" } },
  { path: "/terms", host: "brand", title: "nav.terms", page: page(() => import("../pages/privacy/Terms")) },
  { path: "/privacy", host: "brand", title: "nav.privacyPolicy", page: page(() => import("../pages/privacy/PrivacyPolicy")) },
  { path: "/account/privacy", host: "brand", title: "nav.privacy", access: "signed-in", page: page(() => import("../pages/privacy/MyPrivacy")), nav: { section: "account" } },
  { path: "/admin/privacy", host: "brand", title: "nav.adminPrivacy", access: ["BRAND_ADMIN"], page: page(() => import("../pages/privacy/AdminPrivacy")), nav: { section: "app", group: "settings" } },
  { path: "/account/kyc", host: "brand", title: "nav.kyc", access: ["AFFILIATE", "MERCHANT"], page: page(() => import("../pages/kyc/MyKyc")), nav: { section: "account" } },
  { path: "/admin/kyc", host: "brand", title: "nav.adminKyc", access: ["BRAND_ADMIN"], page: page(() => import("../pages/kyc/AdminKyc")), nav: { section: "app", group: "people" } },
  { path: "/contact", host: "brand", title: "nav.contact", page: page(() => import("../pages/public/Contact")) },
  // Accounts.
  { path: "/signup", host: "brand", title: "nav.signup", page: page(() => import("../pages/auth/Signup")) },
  { path: "/login", host: "brand", title: "nav.login", page: page(() => import("../pages/auth/Login")) },
  { path: "/magic-link", host: "brand", title: "auth.magicTitle", page: page(() => import("../pages/auth/MagicLinkRequest")) },
  { path: "/login/magic", host: "brand", title: "auth.magicTitle", page: page(() => import("../pages/auth/MagicLogin")) },
  { path: "/account/sessions", host: "brand", title: "nav.sessions", access: "signed-in", page: page(() => import("../pages/people/Sessions")), nav: { section: "account" } },
  { path: "/invitation/accept", host: "brand", title: "accept.title", page: page(() => import("../pages/auth/AcceptInvitation")) },
  { path: "/account/security", host: "brand", title: "nav.security", access: "signed-in", page: page(() => import("../pages/security/Security")), nav: { section: "account" } },
  { path: "/account/tokens", host: "brand", title: "nav.tokens", access: "signed-in", page: page(() => import("../pages/auth/ApiTokens")), nav: { section: "account" } },
  { path: "/account/activity", host: "brand", title: "nav.securityActivity", access: "signed-in", page: page(() => import("../pages/audit/SecurityActivity")), nav: { section: "account" } },
  { path: "/notifications", host: "brand", title: "nav.notifications", access: "signed-in", page: page(() => import("../pages/notifications/Notifications")), nav: { section: "account" } },
  { path: "/account/notifications", host: "brand", title: "nav.notificationSettings", access: "signed-in", page: page(() => import("../pages/notifications/NotificationSettings")), nav: { section: "account" } },
  // Affiliates.
  { path: "/dashboard", host: "brand", title: "nav.dashboard", access: ["AFFILIATE"], page: page(() => import("../pages/affiliate/Dashboard")), nav: { section: "app" } },
  { path: "/links", host: "brand", title: "nav.links", access: ["AFFILIATE"], page: page(() => import("../pages/affiliate/Links")), nav: { section: "app" } },
  { path: "/links/:id", host: "brand", title: "links.statsTitle", access: ["AFFILIATE"], page: page(() => import("../pages/affiliate/LinkDetail")) },
  { path: "/commissions", host: "brand", title: "nav.commissions", access: ["AFFILIATE"], page: page(() => import("../pages/affiliate/Commissions")), nav: { section: "app" } },
  { path: "/wallet", host: "brand", title: "nav.wallet", access: ["AFFILIATE"], page: page(() => import("../pages/affiliate/Wallet")), nav: { section: "app" } },
  // Analytics: the server scopes the figures to the viewer (brand, merchant's offers, own traffic).
  { path: "/analytics", host: "brand", title: "nav.analytics", access: ["AFFILIATE", "MERCHANT", "BRAND_ADMIN"], page: page(() => import("../pages/analytics/Analytics")), nav: { section: "app" } },
  // Brand admins.
  { path: "/admin/setup", host: "brand", title: "nav.adminSetup", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Setup")), nav: { section: "app" } },
  { path: "/admin/invitations", host: "brand", title: "nav.adminInvitations", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Invitations")), nav: { section: "app", group: "people" } },
  { path: "/admin/withdrawals", host: "brand", title: "nav.adminWithdrawals", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Withdrawals")), nav: { section: "app", group: "money" } },
  { path: "/admin/payouts", host: "brand", title: "payoutRuns.nav", access: ["BRAND_ADMIN"], page: page(() => import("../pages/payouts/PayoutRuns")), nav: { section: "app", group: "money" } },
  { path: "/admin/fraud", host: "brand", title: "fraud.nav", access: ["BRAND_ADMIN"], page: page(() => import("../pages/fraud/FraudQueue")), nav: { section: "app", group: "people" } },
  { path: "/admin/program", host: "brand", title: "nav.adminProgram", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/ProgramSettings")), nav: { section: "app", group: "program" } },
  { path: "/admin/users", host: "brand", title: "nav.adminUsers", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Users")), nav: { section: "app", group: "people" } },
  { path: "/admin/theme", host: "brand", title: "nav.adminTheme", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/ThemeEditor")), nav: { section: "app", group: "settings" } },
  { path: "/admin/domains", host: "brand", title: "nav.adminDomains", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Domains")), nav: { section: "app", group: "settings" } },
  { path: "/admin/messages", host: "brand", title: "nav.adminMessages", access: ["BRAND_ADMIN", "STAFF"], page: page(() => import("../pages/admin/Messages")), nav: { section: "app", group: "people" } },
  { path: "/admin/notifications", host: "brand", title: "nav.adminNotifications", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Notifications")), nav: { section: "app", group: "settings" } },
  { path: "/admin/audit", host: "brand", title: "nav.adminAudit", access: ["BRAND_ADMIN"], page: page(() => import("../pages/audit/AuditLog")), nav: { section: "app", group: "settings" } },
  // Integrations: outbound webhooks, and the developer catalogue of the events they carry.
  { path: "/admin/webhooks", host: "brand", title: "nav.adminWebhooks", access: ["BRAND_ADMIN"], page: page(() => import("../pages/webhooks/Webhooks")), nav: { section: "app", group: "developers" } },
  { path: "/developers/events", host: "brand", title: "nav.eventCatalogue", access: ["BRAND_ADMIN", "MERCHANT"], page: page(() => import("../pages/webhooks/EventCatalogue")), nav: { section: "app", group: "developers" } },
  // The marketplace (public), buying and orders (signed in).
  { path: "/deals", host: "brand", title: "nav.deals", page: page(() => import("../pages/marketplace/Marketplace")), nav: { section: "public" } },
  { path: "/deals/category/:slug", host: "brand", title: "nav.deals", page: page(() => import("../pages/marketplace/Marketplace")) },
  { path: "/deals/:slug", host: "brand", title: "nav.deal", page: page(() => import("../pages/marketplace/Deal")) },
  { path: "/checkout/:slug", host: "brand", title: "nav.checkout", access: "signed-in", page: page(() => import("../pages/checkout/Checkout")) },
  { path: "/orders", host: "brand", title: "nav.orders", access: "signed-in", page: page(() => import("../pages/checkout/MyOrders")), nav: { section: "account" } },
  { path: "/orders/:number", host: "brand", title: "nav.order", access: "signed-in", page: page(() => import("../pages/checkout/Order")) },
  // Merchants (brand admins see every merchant's products and requests).
  { path: "/merchant/products", host: "brand", title: "nav.products", access: ["MERCHANT", "BRAND_ADMIN"], page: page(() => import("../pages/merchant/Products")), nav: { section: "app", group: "program" } },
  { path: "/merchant/products/new", host: "brand", title: "nav.productNew", access: ["MERCHANT", "BRAND_ADMIN"], page: page(() => import("../pages/merchant/ProductEditor")) },
  { path: "/merchant/products/:id", host: "brand", title: "nav.productEdit", access: ["MERCHANT", "BRAND_ADMIN"], page: page(() => import("../pages/merchant/ProductEditor")) },
  { path: "/merchant/requests", host: "brand", title: "nav.requests", access: ["MERCHANT", "BRAND_ADMIN"], page: page(() => import("../pages/merchant/Requests")), nav: { section: "app", group: "program" } },
  { path: "/merchant/sales", host: "brand", title: "nav.sales", access: ["MERCHANT"], page: page(() => import("../pages/merchant/Sales")), nav: { section: "app" } },
  { path: "/billing", host: "brand", title: "nav.billing", access: ["MERCHANT"], page: page(() => import("../pages/billing/Billing")), nav: { section: "app" } },
  { path: "/billing/success", host: "brand", title: "nav.billing", access: ["MERCHANT"], page: page(() => import("../pages/billing/Billing")) },
  { path: "/billing/canceled", host: "brand", title: "nav.billing", access: ["MERCHANT"], page: page(() => import("../pages/billing/Billing")) },
  // Brand admins: money in.
  { path: "/admin/payments", host: "brand", title: "nav.adminPayments", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Payments")), nav: { section: "app", group: "money" } },
  { path: "/admin/billing", host: "brand", title: "nav.adminBilling", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/BillingSettings")), nav: { section: "app", group: "money" } },
  { path: "/admin/plans", host: "brand", title: "nav.adminPlans", access: ["BRAND_ADMIN"], page: page(() => import("../pages/admin/Plans")), nav: { section: "app", group: "money" } },
  { path: "/admin/failing-subscriptions", host: "brand", title: "failingSubs.nav", access: ["BRAND_ADMIN"], page: page(() => import("../pages/billing/FailingSubscriptions")), nav: { section: "app", group: "money" } },
  // The operator console, on the root domain.
  { path: "/", host: "root", title: "nav.console", page: page(() => import("../pages/operator/Console")) },
  { path: "/login", host: "root", title: "nav.login", page: page(() => import("../pages/auth/Login")) },
  { path: "/audit", host: "root", title: "nav.operatorAudit", access: ["OPERATOR"], page: page(() => import("../pages/audit/OperatorAuditLog")), nav: { section: "app" } },
  { path: "/account/security", host: "root", title: "nav.security", access: "signed-in", page: page(() => import("../pages/security/Security")), nav: { section: "account" } },
];

/** Where a user who must set up two-factor authentication is sent, whatever they open. */
export const ENROLMENT_PATH = "/account/security";

export function routesFor(host: Host): AppRoute[] {
  return ROUTES.filter((route) => route.host === host);
}

export function canOpen(route: AppRoute, role: Role | null): boolean {
  if (!route.access) return true;
  if (role === null) return false;
  return route.access === "signed-in" || route.access.includes(role);
}

/** Where a user lands after signing in. */
export function homeFor(role: Role | null): string {
  switch (role) {
    case "AFFILIATE":
      return "/dashboard";
    case "BRAND_ADMIN":
      return "/admin/setup";
    case "STAFF":
      return "/admin/messages";
    case "MERCHANT":
      return "/merchant/products";
    case "CUSTOMER":
      return "/deals";
    default:
      return "/";
  }
}
