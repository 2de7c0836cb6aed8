import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import NotificationSettings from "./NotificationSettings";
import Notifications from "./Notifications";

const NOTIFICATION = {
  id: "7",
  kind: "commission.created",
  title: "Commission gagnée : 40.00 EUR",
  body: "Une vente vous a rapporté 40.00 EUR (en attente).",
  url: "/commissions",
  createdAt: "2026-12-07T10:00:00+00:00",
  readAt: null as string | null,
};

type Answer = (body: { query: string; variables: Record<string, unknown> }) => unknown;

function setup(page: JSX.Element, answer: Answer) {
  const sent: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body));
    sent.push(body);
    return new Response(JSON.stringify({ data: answer(body) }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <MemoryRouter>
        <I18nProvider defaultLanguage="fr">{page}</I18nProvider>
      </MemoryRouter>
    </Provider>,
  );
  return sent;
}

describe("Notifications", () => {
  it("lists my notifications with their kind, marks the unread ones and reads one on click", async () => {
    const sent = setup(<Notifications />, ({ query }) =>
      query.includes("notificationsMarkRead")
        ? { notificationsMarkRead: { unreadCount: 0, errors: [] } }
        : {
            notifications: {
              totalCount: 2,
              pageInfo: { hasNextPage: false, endCursor: null },
              edges: [
                { node: NOTIFICATION },
                { node: { ...NOTIFICATION, id: "6", kind: "affiliate.joined", title: "Bienvenue", body: "", readAt: "2026-12-07T09:00:00+00:00" } },
              ],
            },
            notificationUnreadCount: 1,
          },
    );
    expect(await screen.findByText("Commission gagnée : 40.00 EUR")).toBeTruthy();
    expect(screen.getByText("Adhésion à un programme")).toBeTruthy();
    expect(screen.getAllByText("Non lue")).toHaveLength(1);

    fireEvent.click(screen.getByRole("button", { name: "Marquer comme lue" }));

    await waitFor(() => expect(sent.some((body) => body.query.includes("notificationsMarkRead"))).toBe(true));
    const mark = sent.find((body) => body.query.includes("notificationsMarkRead"));
    expect(mark?.variables).toEqual({ ids: ["7"] });
    expect(screen.queryByText("Non lue")).toBeNull();
  });

  it("says when there is nothing yet", async () => {
    setup(<Notifications />, () => ({
      notifications: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] },
      notificationUnreadCount: 0,
    }));
    expect(await screen.findByText("Rien pour l'instant")).toBeTruthy();
  });
});

describe("NotificationSettings", () => {
  it("shows a switch per kind and method, waits for a linked chat, and saves a change", async () => {
    const settings = {
      telegramAvailable: true,
      telegramChat: null,
      whatsappNumber: null,
      kinds: [
        {
          kind: "commission.created",
          label: "Commission earned",
          methods: [
            { method: "IN_APP", enabled: true, available: true },
            { method: "EMAIL", enabled: true, available: true },
            { method: "TELEGRAM", enabled: false, available: false },
            { method: "WHATSAPP", enabled: false, available: false },
          ],
        },
      ],
    };
    const sent = setup(<NotificationSettings />, ({ query }) =>
      query.includes("notificationPreferenceSet")
        ? { notificationPreferenceSet: { settings, errors: [] } }
        : { notificationSettings: settings },
    );
    const email = (await screen.findByTestId("preference-commission.created-EMAIL")) as HTMLInputElement;
    expect(email.checked).toBe(true);
    expect((screen.getByTestId("preference-commission.created-TELEGRAM") as HTMLInputElement).disabled).toBe(true);
    expect(screen.getByRole("button", { name: "Lier Telegram" })).toBeTruthy();

    fireEvent.click(email);

    await waitFor(() => expect(sent.some((body) => body.query.includes("notificationPreferenceSet"))).toBe(true));
    const saved = sent.find((body) => body.query.includes("notificationPreferenceSet"));
    expect(saved?.variables).toEqual({ input: { kind: "commission.created", method: "EMAIL", enabled: false } });
  });
});
