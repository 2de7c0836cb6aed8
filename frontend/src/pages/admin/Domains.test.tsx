import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import Domains from "./Domains";

const PENDING = {
  id: "7",
  domain: "partners.example.com",
  url: "https://partners.example.com",
  status: "PENDING",
  isPrimary: false,
  verificationRecord: { type: "TXT", name: "_affiliate-verify.partners.example.com", value: "afv-0123" },
  routingRecord: { type: "CNAME", name: "partners.example.com", value: "alpha.localhost" },
  httpVerificationUrl: "http://partners.example.com/.well-known/affiliate-verify/afv-0123",
  verifiedMethod: null,
  lastCheckedAt: "2026-12-07T10:00:00+00:00",
  lastCheckCode: "DNS_RECORD_MISMATCH",
  lastCheckMessage: "The TXT record _affiliate-verify.partners.example.com does not hold this token.",
  verifiedAt: null,
  expiresAt: "2026-12-14T10:00:00+00:00",
};
const VERIFIED = { ...PENDING, status: "VERIFIED", verifiedMethod: "dns", verifiedAt: "2026-12-07T11:00:00+00:00", lastCheckCode: null, lastCheckMessage: null };

function domains(customDomains: unknown[], primaryDomain = "alpha.localhost") {
  return { platformDomain: "alpha.localhost", primaryDomain, maxCustomDomains: 5, customDomains };
}

function setup(answer: (body: { query: string; variables: Record<string, unknown> }) => unknown, language: Language = "en") {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    return new Response(JSON.stringify({ data: answer(body) }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <MemoryRouter>
          <Domains />
        </MemoryRouter>
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

describe("the brand admin's domains", () => {
  it("adds a domain, shows the records to create and the last check's reason, verifies it now", async () => {
    let verified = false;
    const { requests } = setup((body) => {
      if (body.query.includes("customDomainAdd")) return { customDomainAdd: { customDomain: { id: "7" }, domains: domains([PENDING]), errors: [] } };
      if (body.query.includes("customDomainVerify")) {
        verified = true;
        return { customDomainVerify: { domains: domains([VERIFIED]), errors: [] } };
      }
      return { brandDomains: domains(verified ? [VERIFIED] : []) };
    });
    expect((await screen.findByTestId("platform-domain")).textContent).toContain("alpha.localhost");
    expect(screen.getByTestId("platform-domain").textContent).toContain("Primary");

    fireEvent.change(screen.getByLabelText(/^Domain/), { target: { value: "partners.example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Add the domain" }));
    const card = await screen.findByTestId("custom-domain");
    expect(requests.find((request) => request.query.includes("customDomainAdd"))?.variables).toEqual({ domain: "partners.example.com" });
    const txt = within(card).getByTestId("record-TXT");
    expect(txt.textContent).toContain("_affiliate-verify.partners.example.com");
    expect(txt.textContent).toContain("afv-0123");
    expect(within(card).getByTestId("record-CNAME").textContent).toContain("alpha.localhost");
    expect(within(card).getByTestId("last-check").textContent).toContain("A TXT record exists but does not hold this token.");

    fireEvent.click(within(card).getByRole("button", { name: "Verify now" }));
    await waitFor(() => expect(screen.getByTestId("custom-domain").textContent).toContain("Verified"));
    expect(requests.find((request) => request.query.includes("customDomainVerify"))?.variables).toEqual({ id: "7" });
    expect(within(screen.getByTestId("custom-domain")).getByRole("button", { name: "Make primary" })).toBeTruthy();
    expect(within(screen.getByTestId("custom-domain")).getByRole("link", { name: "Open it" }).getAttribute("href")).toBe("https://partners.example.com/");
  });

  it("makes a verified domain primary and removes it after a confirmation", async () => {
    const { requests } = setup((body) => {
      if (body.query.includes("customDomainMakePrimary")) {
        return { customDomainMakePrimary: { domains: domains([{ ...VERIFIED, isPrimary: true }], "partners.example.com"), errors: [] } };
      }
      if (body.query.includes("customDomainRemove")) return { customDomainRemove: { domains: domains([]), errors: [] } };
      return { brandDomains: domains([VERIFIED]) };
    });
    const card = await screen.findByTestId("custom-domain");
    fireEvent.click(within(card).getByRole("button", { name: "Make primary" }));
    await waitFor(() => expect(screen.getByTestId("custom-domain").textContent).toContain("Primary"));
    expect(within(screen.getByTestId("platform-domain")).getByRole("button", { name: "Make primary" })).toBeTruthy();

    fireEvent.click(within(screen.getByTestId("custom-domain")).getByRole("button", { name: "Remove" }));
    fireEvent.click(within(screen.getByTestId("custom-domain")).getByRole("button", { name: "Remove this domain" }));
    await waitFor(() => expect(screen.queryByTestId("custom-domain")).toBeNull());
    expect(requests.find((request) => request.query.includes("customDomainRemove"))?.variables).toEqual({ id: "7" });
  });

  it("speaks French, with the server's error codes translated", async () => {
    setup((body) => {
      if (body.query.includes("customDomainAdd")) {
        return { customDomainAdd: { customDomain: null, domains: domains([]), errors: [{ field: "domain", code: "UNAVAILABLE", message: "This domain cannot be added." }] } };
      }
      return { brandDomains: domains([]) };
    }, "fr");
    expect(await screen.findByText("Adresse sur la plateforme")).toBeTruthy();
    fireEvent.change(screen.getByLabelText(/^Domaine/), { target: { value: "taken.example.com" } });
    fireEvent.click(screen.getByRole("button", { name: "Ajouter le domaine" }));
    expect(await screen.findByText("Ce domaine ne peut pas être ajouté.")).toBeTruthy();
  });
});

describe("making a domain primary", () => {
  it("asks for a fresh two-factor code, then makes it primary", async () => {
    let verifiedCode = false;
    const { requests } = setup((body) => {
      if (body.query.includes("twoFactorVerify")) {
        verifiedCode = true;
        return { twoFactorVerify: { ok: true, errors: [] } };
      }
      if (body.query.includes("customDomainMakePrimary")) {
        if (!verifiedCode) {
          return { customDomainMakePrimary: { domains: domains([VERIFIED]), errors: [{ field: "code", code: "FRESH_TWO_FACTOR_REQUIRED", message: "Confirm with a code from your authenticator app first." }] } };
        }
        return { customDomainMakePrimary: { domains: domains([{ ...VERIFIED, isPrimary: true }], "partners.example.com"), errors: [] } };
      }
      return { brandDomains: domains([VERIFIED]) };
    });
    const card = await screen.findByTestId("custom-domain");
    fireEvent.click(within(card).getByRole("button", { name: "Make primary" }));
    const dialog = await screen.findByRole("dialog");
    fireEvent.change(within(dialog).getByLabelText(/Code/), { target: { value: "123456" } });
    fireEvent.click(within(dialog).getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(screen.getByTestId("custom-domain").textContent).toContain("Primary"));
    expect(requests.filter((request) => request.query.includes("customDomainMakePrimary"))).toHaveLength(2);
    expect(screen.queryByRole("alert")).toBeNull();
  });
});
