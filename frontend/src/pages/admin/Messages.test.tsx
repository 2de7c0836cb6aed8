import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import Messages from "./Messages";

const NODE = {
  id: "7",
  name: "Ada",
  email: "ada@example.com",
  subject: "Payouts",
  message: "When are commissions paid?",
  locale: "fr",
  status: "NEW",
  createdAt: "2026-11-20T10:00:00+00:00",
  userEmail: null,
};

function setup(nodes: (typeof NODE)[]) {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    const data = body.query.includes("contactMessageStatusSet")
      ? { contactMessageStatusSet: { contactMessage: { ...NODE, status: body.variables.status }, errors: [] } }
      : {
          contactMessages: {
            totalCount: nodes.length,
            pageInfo: { hasNextPage: false, endCursor: null },
            edges: nodes.map((node) => ({ node })),
          },
        };
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage="en">
        <Messages />
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

describe("the brand admin's inbox", () => {
  it("lists new messages and marks one answered", async () => {
    const { requests } = setup([NODE]);
    const item = await screen.findByTestId("contact-message");
    expect(item.textContent).toContain("Payouts");
    expect(item.textContent).toContain("When are commissions paid?");
    expect(requests[0].variables).toMatchObject({ status: "NEW", first: 20, after: null });
    expect(within(item).getByRole("link", { name: "Reply by email" }).getAttribute("href")).toBe("mailto:ada@example.com?subject=Re%3A%20Payouts");

    fireEvent.click(within(item).getByRole("button", { name: "Mark answered" }));
    await waitFor(() => expect(requests.some((request) => request.query.includes("contactMessageStatusSet"))).toBe(true));
    const mutation = requests.find((request) => request.query.includes("contactMessageStatusSet"));
    expect(mutation?.variables).toEqual({ id: "7", status: "ANSWERED" });
  });

  it("says so when there is nothing to read", async () => {
    setup([]);
    expect(await screen.findByText("No messages here")).toBeTruthy();
  });
});
