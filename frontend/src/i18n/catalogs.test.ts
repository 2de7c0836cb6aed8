import { describe, expect, it } from "vitest";

import { marketplaceEn } from "../components/marketplace/messages.en";
import { marketplaceFr } from "../components/marketplace/messages.fr";
import { auditEn } from "../pages/audit/messages.en";
import { auditFr } from "../pages/audit/messages.fr";
import { notificationsEn } from "../pages/notifications/messages.en";
import { notificationsFr } from "../pages/notifications/messages.fr";
import { payoutRunsEn } from "../pages/payouts/messages.en";
import { payoutRunsFr } from "../pages/payouts/messages.fr";
import { peopleEn } from "../pages/people/messages.en";
import { peopleFr } from "../pages/people/messages.fr";
import { kycEn } from "../pages/kyc/messages.en";
import { kycFr } from "../pages/kyc/messages.fr";
import { privacyEn } from "../pages/privacy/messages.en";
import { privacyFr } from "../pages/privacy/messages.fr";
import { twoFactorEn } from "../pages/security/messages.en";
import { twoFactorFr } from "../pages/security/messages.fr";
import { statementsEn } from "../pages/statements/messages.en";
import { statementsFr } from "../pages/statements/messages.fr";
import { webhooksEn } from "../pages/webhooks/messages.en";
import { webhooksFr } from "../pages/webhooks/messages.fr";
import { failingSubsEn } from "../pages/billing/failingSubs.en";
import { failingSubsFr } from "../pages/billing/failingSubs.fr";
import { domainsEn } from "./domains.en";
import { domainsFr } from "./domains.fr";
import { stripeConnectEn } from "../pages/affiliate/stripeConnect.en";
import { stripeConnectFr } from "../pages/affiliate/stripeConnect.fr";
import { onboardingEn } from "./onboarding.en";
import { onboardingFr } from "./onboarding.fr";

/** The feature catalogues spread into en.ts / fr.ts: a key two of them define differently
 * would silently take the last one's text on the other's page (an error code such as
 * UNAVAILABLE meaning two things). */
const catalogues: Record<string, [Record<string, string>, Record<string, string>]> = {
  marketplace: [marketplaceEn, marketplaceFr],
  audit: [auditEn, auditFr],
  privacy: [privacyEn, privacyFr],
  kyc: [kycEn, kycFr],
  people: [peopleEn, peopleFr],
  onboarding: [onboardingEn, onboardingFr],
  domains: [domainsEn, domainsFr],
  twoFactor: [twoFactorEn, twoFactorFr],
  webhooks: [webhooksEn, webhooksFr],
  notifications: [notificationsEn, notificationsFr],
  failingSubs: [failingSubsEn, failingSubsFr],
  statements: [statementsEn, statementsFr],
  payoutRuns: [payoutRunsEn, payoutRunsFr],
  stripeConnect: [stripeConnectEn, stripeConnectFr],
};

describe("feature catalogues", () => {
  for (const language of [0, 1] as const) {
    it(`never define one key two ways (${language === 0 ? "en" : "fr"})`, () => {
      const seen = new Map<string, { owner: string; text: string }>();
      const clashes: string[] = [];
      for (const [owner, pair] of Object.entries(catalogues)) {
        for (const [key, text] of Object.entries(pair[language])) {
          const before = seen.get(key);
          if (before && before.text !== text) clashes.push(`${key}: ${before.owner} / ${owner}`);
          seen.set(key, { owner, text });
        }
      }
      expect(clashes).toEqual([]);
    });
  }
});
