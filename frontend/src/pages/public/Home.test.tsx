import { act, render, screen, waitFor } from "@testing-library/react";
import { Client, fetchExchange, Provider, subscriptionExchange } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import type { BrandStatsFieldsFragment } from "../../gql/graphql";
import { BrandProof } from "./Home";

const STATS: BrandStatsFieldsFragment = {
  affiliates: 1234,
  activeDeals: 12,
  salesLast30Days: 87,
  commissionsPaid: [
    { amount: "4520.50", currency: "EUR" },
    { amount: "300.00", currency: "USD" },
  ],
};

const EMPTY: BrandStatsFieldsFragment = { affiliates: 0, activeDeals: 0, salesLast30Days: 0, commissionsPaid: [] };

type Push = (value: { data: { brandStatsUpdated: BrandStatsFieldsFragment } }) => void;

/** A client whose query answers ``stats`` (or never, while ``pending``) and whose subscription is
 * driven by the test through the returned ``push``. */
function setup({ stats = STATS, language = "en", pending = false }: { stats?: BrandStatsFieldsFragment; language?: Language; pending?: boolean } = {}) {
  const fetcher = vi.fn(async () => {
    if (pending) return new Promise<Response>(() => undefined);
    return new Response(JSON.stringify({ data: { brandStats: stats } }), { headers: { "content-type": "application/json" } });
  });
  const live: { push?: Push } = {};
  const client = new Client({
    url: "http://localhost/graphql/",
    fetch: fetcher as unknown as typeof fetch,
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: () => ({
          subscribe(sink) {
            live.push = (value) => sink.next(value);
            return { unsubscribe: () => undefined };
          },
        }),
      }),
    ],
  });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <BrandProof currency="EUR" />
      </I18nProvider>
    </Provider>,
  );
  return { fetcher, live };
}

const text = (testId: string) => screen.getByTestId(testId).querySelector(".stat-value")?.textContent;
const hint = (testId: string) => screen.getByTestId(testId).querySelector(".stat-hint")?.textContent;

describe("the brand home's social proof", () => {
  it("shows partners, live deals and commissions paid per currency", async () => {
    setup();

    await waitFor(() => expect(screen.getByTestId("stats-affiliates")).toBeTruthy());
    expect(text("stats-affiliates")).toBe("1,234");
    expect(text("stats-deals")).toBe("12");
    expect(hint("stats-deals")).toBe("Sales in the last 30 days: 87");
    expect(text("stats-paid")).toBe("€4,520.50 · US$300.00");
    expect(screen.getByText("Commissions paid")).toBeTruthy();
  });

  it("formats the numbers in French", async () => {
    setup({ language: "fr" });

    await waitFor(() => expect(screen.getByTestId("stats-paid")).toBeTruthy());
    const euros = new Intl.NumberFormat("fr-FR", { style: "currency", currency: "EUR" }).format(4520.5);
    expect(text("stats-paid")?.startsWith(euros)).toBe(true);
    expect(screen.getByText("Commissions versées")).toBeTruthy();
    expect(screen.getByText("Partenaires")).toBeTruthy();
  });

  it("updates the cards without reload when the subscription pushes new numbers", async () => {
    const { fetcher, live } = setup();
    await waitFor(() => expect(text("stats-affiliates")).toBe("1,234"));

    act(() => live.push!({ data: { brandStatsUpdated: { ...STATS, affiliates: 1235, commissionsPaid: [{ amount: "4600.00", currency: "EUR" }] } } }));

    await waitFor(() => expect(text("stats-affiliates")).toBe("1,235"));
    expect(text("stats-paid")).toBe("€4,600.00");
    expect(fetcher).toHaveBeenCalledTimes(1);
  });

  it("shows a zero in the brand's currency when nothing is paid out yet", async () => {
    setup({ stats: { ...EMPTY, affiliates: 3 } });

    await waitFor(() => expect(text("stats-paid")).toBe("€0.00"));
  });

  it("shows the empty state for a brand with no partner, deal or payout", async () => {
    setup({ stats: EMPTY });

    await waitFor(() => expect(screen.getByText("Be one of the first partners")).toBeTruthy());
    expect(screen.queryByTestId("stats-affiliates")).toBeNull();
  });

  it("shows the loading skeleton until the numbers arrive", () => {
    setup({ pending: true });

    expect(screen.getByRole("status", { name: "Loading…" })).toBeTruthy();
    expect(screen.queryByTestId("stats-affiliates")).toBeNull();
  });
});
