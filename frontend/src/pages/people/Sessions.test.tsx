import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import Sessions from "./Sessions";

const LAPTOP = {
  id: "1",
  createdAt: "2026-12-01T09:00:00+00:00",
  lastSeenAt: "2026-12-07T15:00:00+00:00",
  ipNetwork: "203.0.113.0/24",
  country: "",
  deviceType: "desktop",
  browser: "Firefox",
  os: "Linux",
  isCurrent: true,
};
const PHONE = { ...LAPTOP, id: "2", ipNetwork: "2001:db8:1234::/48", country: "FR", deviceType: "mobile", browser: "Mobile Safari", os: "iOS", isCurrent: false };

function setup(language: "en" | "fr" = "en") {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    const data = body.query.includes("sessionRevoke") ? { sessionRevoke: { session: { id: body.variables.id }, errors: [] } } : { mySessions: [LAPTOP, PHONE] };
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <MemoryRouter>
          <Sessions />
        </MemoryRouter>
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

describe("my sessions", () => {
  it("marks this device, shows the network, and signs another session out", async () => {
    const { requests } = setup();
    const rows = await screen.findAllByTestId("session-row");
    expect(rows).toHaveLength(2);
    expect(rows[0].textContent).toContain("This device");
    expect(rows[0].textContent).toContain("203.0.113.0/24");
    expect(within(rows[0]).queryByRole("button")).toBeNull();
    expect(rows[1].textContent).toContain("Phone");
    expect(rows[1].textContent).toContain("FR");

    fireEvent.click(within(rows[1]).getByRole("button", { name: "Sign out the session on Mobile Safari · iOS" }));
    await waitFor(() => expect(requests.some((request) => request.query.includes("sessionRevoke"))).toBe(true));
    expect(requests.find((request) => request.query.includes("sessionRevoke"))?.variables).toEqual({ id: "2" });
  });

  it("speaks French", async () => {
    setup("fr");
    const rows = await screen.findAllByTestId("session-row");
    expect(rows[0].textContent).toContain("Cet appareil");
    expect(within(rows[1]).getByRole("button").textContent).toBe("Déconnecter");
  });
});
