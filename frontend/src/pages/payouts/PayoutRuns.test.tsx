import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import PayoutRuns from "./PayoutRuns";

function withdrawal(id: string, email: string, method = "PAYPAL") {
  return {
    id,
    programId: "1",
    affiliateId: id,
    affiliateEmail: `aff${id}@example.com`,
    amount: { amount: "40.00", currency: "EUR" },
    method,
    details: method === "PAYPAL" ? { email } : { iban: "FR1420041010050500013M02606", account_holder: "Ana" },
    status: "APPROVED",
    requestedAt: "2026-12-07T10:00:00+00:00",
    decidedAt: null,
    paidAt: null,
    paymentReference: "",
    rejectionReason: "",
    failureReason: "",
    payout: null,
  };
}

const RUN = {
  id: "3",
  provider: "paypal",
  batchReference: "brand_alpha.run3",
  remoteBatchId: "MDKFZC67BZSPX",
  status: "SENT",
  itemCount: 2,
  error: "",
  sendAttempts: 1,
  createdAt: "2026-12-07T10:05:00+00:00",
  createdByEmail: "admin@example.com",
  totals: [{ amount: "80.00", currency: "EUR" }],
  items: [
    { id: "1", withdrawalId: "1", affiliateEmail: "aff1@example.com", receiver: "a@example.com", amount: { amount: "40.00", currency: "EUR" }, status: "SUCCEEDED", withdrawalStatus: "PAID", remoteId: "X1", error: "" },
    { id: "2", withdrawalId: "2", affiliateEmail: "aff2@example.com", receiver: "fail@example.com", amount: { amount: "40.00", currency: "EUR" }, status: "FAILED", withdrawalStatus: "FAILED", remoteId: "X2", error: "RECEIVER_UNREGISTERED: Receiver is unregistered" },
  ],
};

function setup(answer: (body: { query: string; variables: Record<string, unknown> }) => unknown) {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    return new Response(JSON.stringify({ data: answer(body) }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage="en">
        <MemoryRouter>
          <PayoutRuns />
        </MemoryRouter>
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

describe("the brand admin's payouts", () => {
  it("pays the selected PayPal withdrawals in one run and shows each item's outcome", async () => {
    let paid = false;
    const { requests } = setup((body) => {
      if (body.query.includes("payoutRunCreate")) {
        paid = true;
        return { payoutRunCreate: { runs: [RUN], errors: [] } };
      }
      if (body.query.includes("payoutRuns")) {
        return {
          payoutRuns: { totalCount: paid ? 1 : 0, edges: paid ? [{ node: RUN }] : [] },
          payoutProviders: [
            { identifier: "paypal", name: "PayPal", automated: true, configured: true },
            { identifier: "bank_transfer", name: "Bank transfer", automated: false, configured: true },
          ],
          payoutSettings: { autoApproveThreshold: "0.00" },
        };
      }
      const rows = paid ? [withdrawal("9", "", "BANK_TRANSFER")] : [withdrawal("1", "a@example.com"), withdrawal("2", "fail@example.com"), withdrawal("9", "", "BANK_TRANSFER")];
      return { withdrawals: { totalCount: rows.length, pageInfo: { hasNextPage: false, endCursor: null }, edges: rows.map((node) => ({ node })) } };
    });

    const groups = await screen.findAllByTestId("payout-group");
    const paypal = groups.find((group) => group.dataset.method === "PAYPAL")!;
    const bank = groups.find((group) => group.dataset.method === "BANK_TRANSFER")!;
    expect(bank.textContent).toContain("Paid by hand");
    expect(within(bank).queryByRole("button")).toBeNull();
    fireEvent.click(within(paypal).getByLabelText("Select all PayPal withdrawals"));
    fireEvent.click(within(paypal).getByRole("button", { name: "Pay 2 withdrawals by PayPal" }));

    const run = await screen.findByTestId("payout-run");
    expect(requests.find((request) => request.query.includes("payoutRunCreate"))?.variables).toEqual({ ids: ["1", "2"] });
    const items = within(run).getAllByTestId("payout-item");
    expect(items.map((item) => item.dataset.status)).toEqual(["SUCCEEDED", "FAILED"]);
    expect(items[1].textContent).toContain("Receiver is unregistered");
    await waitFor(() => expect(screen.getByLabelText(/Approve automatically up to/)).toHaveProperty("value", "0.00"));
  });
});
