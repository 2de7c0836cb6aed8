import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider } from "../../i18n";
import { MyKycQuery } from "./documents";
import MyKyc from "./MyKyc";

const PROFILE = {
  id: "1",
  kind: "INDIVIDUAL",
  status: "NEEDS_MORE_INFO",
  legalName: "Amina El Idrissi",
  dateOfBirth: "1990-05-17",
  nationality: "MA",
  address: "12 rue Ibn Batouta",
  city: "Casablanca",
  postalCode: "20000",
  country: "MA",
  idType: "CIN",
  idNumber: "BE123456",
  idExpiry: "2029-01-01",
  companyName: "",
  ice: "",
  rc: "",
  taxId: "",
  vatNumber: "",
  legalRepresentative: "",
  registeredAddress: "",
  iban: "MA64011519000001205000534921",
  submittedAt: "2026-12-01T10:00:00+00:00",
  decisionReason: "The selfie is blurry.",
  requiredDocuments: ["ID_FRONT", "ID_BACK", "SELFIE"],
  documents: [{ id: "5", kind: "ID_FRONT", contentType: "image/jpeg", sizeBytes: 1000, expiresOn: null, uploadedAt: "2026-12-01T10:00:00+00:00" }],
};

function setup(answers: Record<string, unknown> = {}) {
  const requests: { query: string; variables: Record<string, unknown> }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    const name = Object.keys(answers).find((key) => body.query.includes(key));
    const data = name ? { [name]: answers[name] } : { myKyc: PROFILE };
    return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <MemoryRouter>
      <Provider value={client}>
        <I18nProvider defaultLanguage="en">
          <MyKyc />
        </I18nProvider>
      </Provider>
    </MemoryRouter>,
  );
  return { requests, client };
}

describe("my KYC page", () => {
  it("shows the status, the reviewer's reason and which documents are missing", async () => {
    setup();
    expect(await screen.findByText("More information needed")).toBeTruthy();
    expect(screen.getByText("The reviewer says: The selfie is blurry.")).toBeTruthy();
    expect(screen.getAllByText("Uploaded")).toHaveLength(1);
    expect(screen.getAllByText("Missing")).toHaveLength(2);
  });

  it("puts each error of the draft on its field", async () => {
    const { requests } = setup({
      kycSaveDraft: {
        profile: { id: "1", status: "NEEDS_MORE_INFO" },
        errors: [
          { field: "idNumber", code: "INVALID_CIN", message: "A CIN is 1 or 2 letters followed by 3 to 6 digits (e.g. BE123456)." },
          { field: "dateOfBirth", code: "UNDERAGE", message: "You must be at least 18 years old." },
        ],
      },
    });
    const number = await screen.findByLabelText(/Document number/);
    fireEvent.change(number, { target: { value: "12" } });
    fireEvent.click(screen.getByRole("button", { name: "Save draft" }));
    expect(await screen.findByText(/A CIN is 1 or 2 letters/)).toBeTruthy();
    expect(screen.getByText("You must be at least 18 years old.")).toBeTruthy();
    await waitFor(() => expect(screen.getByLabelText(/Document number/).getAttribute("aria-invalid")).toBe("true"));
    const save = requests.find((request) => request.query.includes("kycSaveDraft"));
    expect((save?.variables.input as Record<string, unknown>).idNumber).toBe("12");
  });

  it("saves then submits", async () => {
    const { requests } = setup({
      kycSaveDraft: { profile: { id: "1", status: "NEEDS_MORE_INFO" }, errors: [] },
      kycSubmit: { profile: { id: "1", status: "SUBMITTED" }, errors: [] },
    });
    fireEvent.click(await screen.findByRole("button", { name: "Submit for review" }));
    await waitFor(() => expect(requests.some((request) => request.query.includes("kycSubmit"))).toBe(true));
  });

  it("keeps what the person typed when the same profile is fetched again", async () => {
    const { client } = setup();
    const name = await screen.findByLabelText(/Legal name/);
    fireEvent.change(name, { target: { value: "Amina B. El Idrissi" } });
    await client.query(MyKycQuery, {}, { requestPolicy: "network-only" }).toPromise();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((screen.getByLabelText(/Legal name/) as HTMLInputElement).value).toBe("Amina B. El Idrissi");
  });
});
