import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { fromValue, never } from "wonka";
import { Provider, type Client, type Operation } from "urql";
import { describe, expect, it } from "vitest";

import { I18nProvider } from "../../i18n";
import Payments from "./Payments";

const ROW = {
  __typename: "Payment",
  id: "1",
  reference: "PAY-7KQ2",
  provider: "BANK_TRANSFER",
  purpose: "ORDER",
  status: "TRANSACTION_SUBMITTED",
  amount: { amount: "742.50", currency: "MAD" },
  orderNumber: "A-1001",
  payerName: "Ada Lovelace",
  payerEmail: "ada@example.com",
  contactChannel: "EMAIL",
  contact: "ada@example.com",
  transactionId: "VIR-1",
  createdAt: "2026-03-10T10:00:00+00:00",
  submittedAt: "2026-03-10T11:00:00+00:00",
  verifiedAt: null,
  confirmedAt: null,
  rejectedAt: null,
  rejectionReason: "",
  bankTransfer: null,
};

function client(): Client {
  return {
    executeQuery: (operation: Operation) =>
      fromValue({
        operation,
        data: { manualPayments: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, edges: [{ node: ROW }] } },
        stale: false,
        hasNext: false,
      }),
    executeMutation: () => never,
    executeSubscription: () => never,
  } as unknown as Client;
}

describe("the payment queue", () => {
  it("labels every cell with its column, so a phone shows each row as a card with the amount and actions", async () => {
    render(
      <Provider value={client()}>
        <I18nProvider defaultLanguage="fr">
          <MemoryRouter>
            <Payments />
          </MemoryRouter>
        </I18nProvider>
      </Provider>,
    );
    const table = await screen.findByTestId("payment-queue");
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent?.trim());
    const labels = [...table.querySelectorAll("tbody tr:first-child td")].map((td) => td.getAttribute("data-label"));

    expect(table.classList.contains("table-stack")).toBe(true);
    expect(labels).toEqual(headers);
    // An email contact is the payer's email: not repeated as "Email ada@example.com".
    expect(table.textContent).not.toMatch(/E-mail ada@example.com/);
  });
});
