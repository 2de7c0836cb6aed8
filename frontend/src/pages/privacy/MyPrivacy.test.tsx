import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import MyPrivacy from "./MyPrivacy";

const STATE = {
  consentRequired: true,
  termsVersion: 1,
  privacyVersion: 1,
  currentTermsVersion: 2,
  currentPrivacyVersion: 1,
  termsAcceptedAt: "2026-11-01T10:00:00+00:00",
  privacyAcceptedAt: "2026-11-01T10:00:00+00:00",
  marketingOptIn: false,
  exports: [
    { id: "3", status: "READY", requestedAt: "2026-12-01T10:00:00+00:00", expiresAt: "2026-12-08T10:00:00+00:00", downloadUrl: "/exports/3.zip?token=abc" },
  ],
  erasureRequest: null as null | Record<string, unknown>,
};

function setup(state = STATE, answers: Record<string, unknown> = {}) {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    const name = Object.keys(answers).find((key) => body.query.includes(key));
    const data = name ? { [name]: answers[name] } : { myPrivacy: state };
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <MemoryRouter>
      <Provider value={client}>
        <I18nProvider defaultLanguage="en">
          <MyPrivacy />
        </I18nProvider>
      </Provider>
    </MemoryRouter>,
  );
  return { requests };
}

describe("my privacy page", () => {
  it("offers the ready export's short-lived link and asks for a new one", async () => {
    const { requests } = setup(STATE, { dataExportRequest: { export: { id: "4", status: "PENDING" }, errors: [] } });
    const link = await screen.findByRole("link", { name: "Download" });
    expect(link.getAttribute("href")).toBe("/exports/3.zip?token=abc");
    fireEvent.click(screen.getByRole("button", { name: "Prepare my data" }));
    expect(await screen.findByText(/you will get an email when it is ready/)).toBeTruthy();
    expect(requests.some((request) => request.query.includes("dataExportRequest"))).toBe(true);
  });

  it("shows the throttling error of a second request", async () => {
    setup(STATE, {
      dataExportRequest: { export: null, errors: [{ field: "export", code: "RATE_LIMITED", message: "You can ask for one export every 24 hours: try again in 23 hours." }] },
    });
    fireEvent.click(await screen.findByRole("button", { name: "Prepare my data" }));
    expect(await screen.findByText(/try again in 23 hours/)).toBeTruthy();
  });

  it("asks to accept the new terms and shows a pending erasure with its date", async () => {
    const { requests } = setup(
      { ...STATE, erasureRequest: { id: "9", status: "REQUESTED", dueAt: "2027-01-06T10:00:00+00:00", decisionReason: "" } },
      { consentAccept: { privacy: { consentRequired: false }, errors: [] } },
    );
    fireEvent.click(await screen.findByRole("button", { name: "I accept" }));
    await waitFor(() => expect(requests.some((request) => request.query.includes("consentAccept"))).toBe(true));
    expect(screen.getByRole("button", { name: "Cancel my request" })).toBeTruthy();
    expect(screen.getByText(/Your account will be erased on/)).toBeTruthy();
  });
});
