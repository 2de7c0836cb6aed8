import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import Invitations from "./Invitations";
import Setup from "./Setup";

const INVITATION = {
  id: "3",
  email: "shop@example.com",
  fullName: "",
  role: "MERCHANT",
  status: "PENDING",
  inviterEmail: "admin@example.com",
  createdAt: "2026-11-20T10:00:00+00:00",
  expiresAt: "2026-11-27T10:00:00+00:00",
};

function setup(page: ReactNode, answer: (body: { query: string; variables: Record<string, unknown> }) => unknown) {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    return new Response(JSON.stringify({ data: answer(body) }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage="en">
        <MemoryRouter>{page}</MemoryRouter>
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

describe("the brand admin's invitations", () => {
  it("lists invitations, sends one as staff and revokes an open one", async () => {
    const { requests } = setup(<Invitations />, (body) => {
      if (body.query.includes("invitationCreate")) {
        return { invitationCreate: { invitation: { ...INVITATION, id: "4", email: "sam@example.com", role: "STAFF" }, errors: [] } };
      }
      if (body.query.includes("invitationRevoke")) {
        return { invitationRevoke: { invitation: { ...INVITATION, status: "REVOKED" }, errors: [] } };
      }
      return { invitations: [INVITATION] };
    });
    const row = await screen.findByTestId("invitation");
    expect(row.textContent).toContain("shop@example.com");
    expect(row.textContent).toContain("Pending");

    fireEvent.change(screen.getByLabelText("Email"), { target: { value: "sam@example.com" } });
    fireEvent.change(screen.getByLabelText("Role"), { target: { value: "STAFF" } });
    expect(screen.getByText(/Staff read the contact inbox/)).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Send the invitation" }));
    expect((await screen.findByTestId("invitation-sent")).textContent).toBe("Invitation sent to sam@example.com.");
    const create = requests.find((request) => request.query.includes("invitationCreate"));
    expect(create?.variables).toEqual({ input: { email: "sam@example.com", fullName: "", role: "STAFF" } });

    fireEvent.click(within(row).getByRole("button", { name: "Revoke" }));
    await waitFor(() => expect(requests.some((request) => request.query.includes("invitationRevoke"))).toBe(true));
    expect(requests.find((request) => request.query.includes("invitationRevoke"))?.variables).toEqual({ id: "3" });
  });
});

describe("the setup checklist", () => {
  it("shows each step with its state and a link to its page", async () => {
    setup(<Setup />, () => ({
      brandSetupChecklist: {
        completed: 1,
        total: 2,
        items: [
          { step: "PROGRAM", done: true, path: "/admin/program" },
          { step: "BANK_DETAILS", done: false, path: "/admin/billing" },
        ],
      },
    }));
    const steps = await screen.findAllByTestId("setup-step");
    expect(screen.getAllByText("1 of 2 done").length).toBeGreaterThan(0);
    expect(within(steps[0]).getByRole("link", { name: "Review your partner program" }).getAttribute("href")).toBe("/admin/program");
    expect(steps[0].textContent).toContain("Done");
    expect(within(steps[1]).getByRole("link", { name: "Enter your bank details" }).getAttribute("href")).toBe("/admin/billing");
    expect(steps[1].textContent).toContain("To do");
  });
});
