import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { fromValue, never } from "wonka";
import { Provider, type Client, type Operation } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import { StripeConnectCard } from "./StripeConnectCard";

type Account = {
  accountId: string;
  status: "PENDING" | "VERIFIED" | "RESTRICTED";
  detailsSubmitted: boolean;
  payoutsEnabled: boolean;
  requirementsDue: string[];
  lastPayoutFailure: null | { amount: string; currency: string; code: string; message: string; at: string };
};

function client(account: Account | null, onboard = vi.fn()): Client {
  return {
    executeQuery: (operation: Operation) =>
      fromValue({ operation, data: { myStripeConnect: account ? { __typename: "StripeConnectAccount", ...account } : null }, stale: false, hasNext: false }),
    executeMutation: (operation: Operation) => {
      onboard(operation.variables);
      return fromValue({
        operation,
        data: { stripeConnectOnboard: { url: "https://connect.stripe.test/setup/e/acct_1/abc", account: null, errors: [] } },
        stale: false,
        hasNext: false,
      });
    },
    executeSubscription: () => never,
  } as unknown as Client;
}

function show(account: Account | null, onChange = vi.fn(), onboard = vi.fn()) {
  render(
    <Provider value={client(account, onboard)}>
      <I18nProvider defaultLanguage="en">
        <StripeConnectCard onChange={onChange} />
      </I18nProvider>
    </Provider>,
  );
  return { onChange, onboard };
}

const VERIFIED: Account = {
  accountId: "acct_1",
  status: "VERIFIED",
  detailsSubmitted: true,
  payoutsEnabled: true,
  requirementsDue: [],
  lastPayoutFailure: null,
};

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("the Get paid with Stripe card", () => {
  it("offers to connect, and opens Stripe's onboarding link", async () => {
    const assign = vi.fn();
    vi.stubGlobal("location", { ...window.location, assign, search: "" });
    const { onChange, onboard } = show(null);

    fireEvent.click(await screen.findByRole("button", { name: "Connect with Stripe" }));

    await waitFor(() => expect(assign).toHaveBeenCalledWith("https://connect.stripe.test/setup/e/acct_1/abc"));
    expect(onboard).toHaveBeenCalledTimes(1);
    expect(onChange).toHaveBeenLastCalledWith(null);
    expect(screen.queryByTestId("stripe-connect-status")).toBeNull();
  });

  it("shows a verified account and hands its id to the withdrawal form", async () => {
    const { onChange } = show(VERIFIED);
    expect((await screen.findByTestId("stripe-connect-status")).dataset.status).toBe("VERIFIED");
    expect(screen.getByText("Verified")).toBeTruthy();
    expect(onChange).toHaveBeenLastCalledWith("acct_1");
  });

  it("lists what Stripe asks of a restricted account, and a failed bank payout", async () => {
    const { onChange } = show({
      ...VERIFIED,
      status: "RESTRICTED",
      payoutsEnabled: false,
      requirementsDue: ["individual.verification.document"],
      lastPayoutFailure: { amount: "20.00", currency: "EUR", code: "account_closed", message: "The bank account has been closed.", at: "2026-12-01T10:00:00+00:00" },
    });
    expect((await screen.findByTestId("stripe-connect-status")).dataset.status).toBe("RESTRICTED");
    expect(screen.getByText("individual.verification.document")).toBeTruthy();
    expect(screen.getByTestId("stripe-payout-failed").textContent).toMatch(/The bank account has been closed\. The money is safe in your Stripe balance/);
    expect(onChange).toHaveBeenLastCalledWith(null);
  });
});
