import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import Notifications from "./Notifications";

const CHANNEL = {
  id: "3",
  kind: "TELEGRAM",
  label: "Finance team",
  enabled: true,
  events: ["PAYMENT_CONFIRMED", "WITHDRAWAL_REQUESTED"],
  chatId: "-1001234567890",
  webhookId: null,
  phoneNumberId: null,
  recipientPhone: null,
  secretHint: "x9Qz",
  lastSentAt: null,
  lastError: "Forbidden: bot was kicked from the group chat",
  lastErrorAt: "2026-11-21T09:00:00+00:00",
};

type Body = { query: string; variables: Record<string, unknown> };

/** The page against a fake GraphQL endpoint; ``answer`` gives each mutation's payload. */
function setup(answer: (body: Body) => Record<string, unknown> | null) {
  const requests: Body[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as Body;
    requests.push(body);
    const data = answer(body) ?? {
      notificationChannels: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: null }, edges: [{ node: CHANNEL }] },
    };
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage="en">
        <Notifications />
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

describe("the brand admin's notification channels", () => {
  it("never prefills the secret and shows the server's error at its field", async () => {
    const { requests } = setup((body) =>
      body.query.includes("notificationChannelConfigure")
        ? {
            notificationChannelConfigure: {
              channel: CHANNEL,
              errors: [{ field: "botToken", code: "INVALID_TOKEN", message: "A bot token looks like 123456789:AAE… (digits, a colon, then 30+ characters)." }],
            },
          }
        : null,
    );
    const item = await screen.findByTestId("notification-channel");
    expect(within(item).getByTestId("secret-hint").textContent).toBe("…x9Qz");
    expect(within(item).getByTestId("last-error").textContent).toContain("bot was kicked");

    fireEvent.click(within(item).getByRole("button", { name: "Edit" }));
    const form = await screen.findByRole("form", { name: "Edit the channel" });
    const token = within(form).getByLabelText("Bot token") as HTMLInputElement;
    expect(token.value).toBe("");
    expect(token.type).toBe("password");
    expect(form.textContent).toContain("ending in x9Qz");
    expect((within(form).getByLabelText("Chat id or @channel") as HTMLInputElement).value).toBe("-1001234567890");
    expect((within(form).getByLabelText("Payment confirmed") as HTMLInputElement).checked).toBe(true);
    expect((within(form).getByLabelText("Invoice created") as HTMLInputElement).checked).toBe(false);

    fireEvent.change(token, { target: { value: "not-a-token" } });
    fireEvent.click(within(form).getByRole("button", { name: "Save" }));

    await waitFor(() => expect(token.getAttribute("aria-invalid")).toBe("true"));
    const field = token.closest(".field") as HTMLElement;
    expect(within(field).getByRole("alert").textContent).toContain("A bot token looks like 123456789:AAE");
    expect(within(form).queryByText(/A bot token looks like/, { selector: ".form-errors p" })).toBeNull();
    expect(within(form).getByLabelText("Chat id or @channel").getAttribute("aria-invalid")).toBe("false");

    const mutation = requests.find((request) => request.query.includes("notificationChannelConfigure"));
    expect(mutation?.variables.input).toEqual({
      id: "3",
      kind: "TELEGRAM",
      label: "Finance team",
      enabled: true,
      events: ["PAYMENT_CONFIRMED", "WITHDRAWAL_REQUESTED"],
      chatId: "-1001234567890",
      botToken: "not-a-token",
      webhookUrl: "",
      phoneNumberId: "",
      recipientPhone: "",
      accessToken: "",
    });
  });

  it("shows the provider's answer when a test message fails", async () => {
    setup((body) =>
      body.query.includes("notificationChannelTest")
        ? {
            notificationChannelTest: {
              channel: CHANNEL,
              messageId: null,
              errors: [{ field: null, code: "DELIVERY_FAILED", message: "Telegram: Bad Request: chat not found" }],
            },
          }
        : null,
    );
    const item = await screen.findByTestId("notification-channel");
    fireEvent.click(within(item).getByRole("button", { name: "Send a test" }));
    const outcome = await within(item).findByTestId("test-outcome");
    expect(outcome.textContent).toContain("Telegram: Bad Request: chat not found");
  });
});
