import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import AuditLog, { exportUrl } from "./AuditLog";

const NODE = {
  id: "9",
  action: "user.role_changed",
  actorId: "1",
  actorEmail: "admin@example.com",
  subjectId: "2",
  targetType: "accounts.User",
  targetId: "2",
  before: { role: "affiliate" },
  after: { role: "merchant" },
  data: {},
  ip: "203.0.113.7",
  userAgent: "Firefox/130",
  createdAt: "2026-11-20T10:00:00+00:00",
};

function setup(language: "en" | "fr" = "en") {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    const data = {
      auditEvents: {
        totalCount: 2,
        pageInfo: { hasNextPage: false, endCursor: null },
        edges: [{ node: NODE }, { node: { ...NODE, id: "8", action: "widget.frobbed", before: null, after: null } }],
      },
    };
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <AuditLog />
      </I18nProvider>
    </Provider>,
  );
  return requests;
}

describe("AuditLog", () => {
  it("shows translated action labels, the raw code when there is none, and before/after", async () => {
    setup("fr");
    expect(await screen.findByText("Rôle modifié")).toBeTruthy();
    expect(screen.getByText("widget.frobbed")).toBeTruthy();
    expect(screen.getAllByText('{"role":"affiliate"}').length).toBe(1);
    expect(screen.getAllByText("203.0.113.7").length).toBe(2);
  });

  it("sends the filters to the API and to the CSV export", async () => {
    const requests = setup();
    await screen.findByText("Role changed");
    fireEvent.change(screen.getByLabelText("Action"), { target: { value: "user.*" } });
    fireEvent.change(screen.getByLabelText("Actor (email)"), { target: { value: "admin@" } });
    fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    await waitFor(() => expect(requests.at(-1)?.variables.filter).toMatchObject({ action: "user.*", actorEmail: "admin@" }));
    const link = screen.getByTestId("audit-export").getAttribute("href");
    expect(link).toBe("/audit/export.csv?actorEmail=admin%40&action=user.*");
  });

  it("builds export URLs without empty parameters", () => {
    expect(exportUrl({})).toBe("/audit/export.csv");
    expect(exportUrl({ targetType: "accounts.User", targetId: "3" })).toBe("/audit/export.csv?targetType=accounts.User&targetId=3");
  });
});
