import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import { People } from "./Users";

const ADMIN = { id: "1", email: "admin@example.com", fullName: "Admin", role: "BRAND_ADMIN", isActive: true, dateJoined: "2026-11-01T10:00:00+00:00" };
const ADA = { id: "2", email: "ada@example.com", fullName: "Ada", role: "AFFILIATE", isActive: true, dateJoined: "2026-11-02T10:00:00+00:00" };
const GONE = { id: "3", email: "gone@example.com", fullName: "", role: "MERCHANT", isActive: false, dateJoined: "2026-11-03T10:00:00+00:00" };
const LAST_ADMIN = { field: "userId", code: "LAST_BRAND_ADMIN", message: "This is the brand's last active admin: make someone else an admin first." };

function setup(language: "en" | "fr" = "en") {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    let data: unknown;
    if (body.query.includes("twoFactorReset")) {
      // The first attempt asks for a fresh code of the admin's own; the retry after it succeeds.
      const attempts = requests.filter((request) => request.query.includes("twoFactorReset")).length;
      data = attempts === 1
        ? { twoFactorReset: { user: null, errors: [{ field: null, code: "FRESH_TWO_FACTOR_REQUIRED", message: "Confirm it is you." }] } }
        : { twoFactorReset: { user: { id: body.variables.userId, email: "ada@example.com" }, errors: [] } };
    } else if (body.query.includes("twoFactorVerify")) data = { twoFactorVerify: { ok: true, errors: [] } };
    else if (body.query.includes("userRoleChange")) data = { userRoleChange: { user: null, errors: [LAST_ADMIN] } };
    else if (body.query.includes("userDeactivate")) data = { userDeactivate: { user: { id: body.variables.userId, isActive: false }, errors: [] } };
    else if (body.query.includes("userReactivate")) data = { userReactivate: { user: { id: body.variables.userId, isActive: true }, errors: [] } };
    else {
      const nodes = [GONE, ADA, ADMIN];
      data = { users: { totalCount: nodes.length, pageInfo: { hasNextPage: false, endCursor: null }, edges: nodes.map((node) => ({ node })) } };
    }
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <People meId="1" />
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

describe("the brand admin's people", () => {
  it("lists, searches, deactivates and reactivates", async () => {
    const { requests } = setup();
    const rows = await screen.findAllByTestId("person-row");
    expect(rows).toHaveLength(3);
    expect(within(rows[2]).queryByRole("button", { name: /Deactivate/ })).toBeNull(); // not yourself
    expect(rows[0].textContent).toContain("Deactivated");

    fireEvent.change(screen.getByPlaceholderText("Search by email or name"), { target: { value: " ada " } });
    await waitFor(() => expect(requests.some((request) => request.variables.search === "ada")).toBe(true));

    vi.spyOn(window, "confirm").mockReturnValue(true);
    fireEvent.click(screen.getByRole("button", { name: "Deactivate ada@example.com" }));
    await waitFor(() => expect(requests.find((request) => request.query.includes("userDeactivate"))?.variables).toEqual({ userId: "2" }));
    fireEvent.click(screen.getByRole("button", { name: "Reactivate gone@example.com" }));
    await waitFor(() => expect(requests.find((request) => request.query.includes("userReactivate"))?.variables).toEqual({ userId: "3" }));
  });

  it("shows the last-admin refusal in French", async () => {
    const { requests } = setup("fr");
    await screen.findAllByTestId("person-row");
    fireEvent.change(screen.getByRole("combobox", { name: "Rôle de admin@example.com" }), { target: { value: "AFFILIATE" } });
    await waitFor(() => expect(requests.find((request) => request.query.includes("userRoleChange"))?.variables).toEqual({ userId: "1", role: "AFFILIATE" }));
    expect((await screen.findByRole("alert")).textContent).toContain("dernier administrateur actif");
  });

  it("resets a user's two-factor after a fresh code of the admin's own", async () => {
    const { requests } = setup();
    await screen.findAllByTestId("person-row");
    expect(screen.queryByRole("button", { name: "Reset the two-factor authentication of admin@example.com" })).toBeNull(); // not yourself
    vi.spyOn(window, "confirm").mockReturnValue(true);
    fireEvent.click(screen.getByRole("button", { name: "Reset the two-factor authentication of ada@example.com" }));
    const dialog = await screen.findByRole("dialog");
    fireEvent.change(within(dialog).getByLabelText(/code/i), { target: { value: "123456" } });
    fireEvent.submit(within(dialog).getByRole("form"));
    await waitFor(() => expect(screen.getByText("Two-factor authentication of ada@example.com reset.")).toBeTruthy());
    const resets = requests.filter((request) => request.query.includes("twoFactorReset"));
    expect(resets.map((request) => request.variables)).toEqual([{ userId: "2" }, { userId: "2" }]);
    expect(requests.find((request) => request.query.includes("twoFactorVerify"))?.variables).toEqual({ code: "123456" });
  });
});
