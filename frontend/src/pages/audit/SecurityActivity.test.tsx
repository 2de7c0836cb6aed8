import { render, screen } from "@testing-library/react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import SecurityActivity from "./SecurityActivity";

interface SecurityEvent {
  id: string;
  action: string;
  actorId: string | null;
  actorEmail: string;
  subjectId: string | null;
  ip: string | null;
  userAgent: string;
  createdAt: string;
}

const EVENT: SecurityEvent = {
  id: "3",
  action: "user.login_failed",
  actorId: null,
  actorEmail: "",
  subjectId: "2",
  ip: "203.0.113.7",
  userAgent: "Firefox/130",
  createdAt: "2026-11-20T10:00:00+00:00",
};

function setup(edges: { node: SecurityEvent }[]) {
  const fetcher = vi.fn(async () => {
    const data = { mySecurityEvents: { pageInfo: { hasNextPage: false, endCursor: null }, edges } };
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage="fr">
        <SecurityActivity />
      </I18nProvider>
    </Provider>,
  );
}

describe("SecurityActivity", () => {
  it("lists my events with translated labels, who acted when it was someone else, and where from", async () => {
    setup([
      { node: EVENT },
      { node: { ...EVENT, id: "4", action: "user.role_changed", actorId: "9", actorEmail: "admin@example.com", ip: null } },
      { node: { ...EVENT, id: "5", action: "session.something_new", ip: "198.51.100.2" } },
    ]);
    expect(await screen.findByText("Échec de connexion")).toBeTruthy();
    expect(screen.getByText("Rôle modifié")).toBeTruthy();
    expect(screen.getByText("par admin@example.com", { exact: false })).toBeTruthy();
    expect(screen.getByText("session.something_new")).toBeTruthy();
    expect(screen.getByText(/Adresse inconnue/)).toBeTruthy();
  });

  it("says when there is nothing yet", async () => {
    setup([]);
    expect(await screen.findByText("Aucun événement de sécurité pour l'instant")).toBeTruthy();
  });
});
