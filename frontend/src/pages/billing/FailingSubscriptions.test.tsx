import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { fromValue, never } from "wonka";
import { Provider, type Client, type Operation } from "urql";
import { describe, expect, it } from "vitest";

import { I18nProvider } from "../../i18n";
import FailingSubscriptions from "./FailingSubscriptions";

const ROWS = [
  {
    __typename: "FailingSubscription",
    id: "merchant_plan:4",
    kind: "MERCHANT_PLAN",
    subscriptionId: "4",
    userEmail: "shop@example.com",
    planName: "Starter",
    price: { amount: "299.00", currency: "MAD" },
    status: "UNPAID",
    paymentFailedAt: "2026-03-01T10:00:00+00:00",
    graceUntil: "2026-03-08T10:00:00+00:00",
    downgraded: true,
    currentPeriodEnd: null,
    stripeSubscriptionId: "sub_4",
  },
  {
    __typename: "FailingSubscription",
    id: "membership:9",
    kind: "MEMBERSHIP",
    subscriptionId: "9",
    userEmail: "member@example.com",
    planName: "Club",
    price: { amount: "10.00", currency: "EUR" },
    status: "PAST_DUE",
    paymentFailedAt: "2026-03-05T10:00:00+00:00",
    graceUntil: null,
    downgraded: false,
    currentPeriodEnd: null,
    stripeSubscriptionId: "sub_9",
  },
];

function client(seen: Operation[]): Client {
  return {
    executeQuery: (operation: Operation) => {
      seen.push(operation);
      return fromValue({ operation, data: { failingSubscriptions: ROWS }, stale: false, hasNext: false });
    },
    executeMutation: () => never,
    executeSubscription: () => never,
  } as unknown as Client;
}

describe("the failing subscriptions list", () => {
  it("shows each failing subscription with its status, since when and its grace period, in French too", async () => {
    const seen: Operation[] = [];
    render(
      <Provider value={client(seen)}>
        <I18nProvider defaultLanguage="fr">
          <MemoryRouter>
            <FailingSubscriptions />
          </MemoryRouter>
        </I18nProvider>
      </Provider>,
    );
    const table = await screen.findByTestId("failing-subscriptions");
    const rows = screen.getAllByTestId("failing-subscription");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain("shop@example.com");
    expect(rows[0].textContent).toContain("Impayé (tentatives terminées)");
    expect(rows[0].textContent).toContain("Passé à l'offre gratuite");
    expect(rows[1].textContent).toContain("Abonnement membre");
    expect(rows[1].textContent).toContain("En retard (nouvelles tentatives)");
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim());
    const labels = [...table.querySelectorAll("tbody tr:first-child td")].map((td) => td.getAttribute("data-label"));
    expect(labels).toEqual(headers);
    expect(seen[0].variables).toEqual({ kind: null });
  });
});
