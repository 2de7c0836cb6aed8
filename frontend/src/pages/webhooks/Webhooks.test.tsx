import { fireEvent, render, screen, within } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import EventCatalogue from "./EventCatalogue";
import Webhooks from "./Webhooks";

const ENDPOINT = {
  id: "5",
  url: "https://crm.example.com/hooks",
  description: "CRM",
  allEvents: false,
  eventTypes: ["commission.created", "conversion.created"],
  secretHint: "whsec_AbCd",
  isEnabled: true,
  disabledReason: null,
  failingSince: null,
  createdAt: "2026-12-01T10:00:00+00:00",
};

const EVENT_TYPES = [
  { name: "commission.created", subscribable: true },
  { name: "conversion.created", subscribable: true },
  { name: "webhook.test", subscribable: false },
];

const DELIVERY = {
  id: "41",
  eventId: "0193a1b2-0000-7000-8000-000000000001",
  eventType: "conversion.created",
  status: "SUCCESS",
  attemptCount: 2,
  nextAttemptAt: null,
  createdAt: "2026-12-01T10:05:00+00:00",
  payload: { conversion_id: 12, amount: "200.00" },
  attempts: [
    { id: "1", createdAt: "2026-12-01T10:05:00+00:00", trigger: "AUTOMATIC", isSuccess: false, responseStatusCode: 500, responseBody: "oops", durationMs: 31, error: "HTTP 500" },
    { id: "2", createdAt: "2026-12-01T10:05:05+00:00", trigger: "AUTOMATIC", isSuccess: true, responseStatusCode: 200, responseBody: "ok", durationMs: 12, error: "" },
  ],
};

type Body = { query: string; variables: Record<string, unknown> };

function setup(page: ReactNode, answer: (body: Body) => unknown, language: Language = "en") {
  const requests: Body[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body));
    requests.push(body);
    return new Response(JSON.stringify({ data: answer(body) }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange], preferGetMethod: false });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <MemoryRouter>{page}</MemoryRouter>
      </I18nProvider>
    </Provider>,
  );
  return { requests };
}

function answer(body: Body): unknown {
  if (body.query.includes("webhookEndpointCreate")) {
    if (!(body.variables.input as { url: string }).url.startsWith("https://")) {
      return { webhookEndpointCreate: { endpoint: null, secret: null, errors: [{ field: "url", code: "INSECURE_URL", message: "" }] } };
    }
    return { webhookEndpointCreate: { endpoint: { ...ENDPOINT, id: "6", url: "https://erp.example.com/in" }, secret: "whsec_c2VjcmV0LXNob3duLW9uY2U=", errors: [] } };
  }
  if (body.query.includes("webhookDeliveryReplay")) {
    return { webhookDeliveryReplay: { delivery: { id: "41", status: "PENDING" }, errors: [] } };
  }
  if (body.query.includes("webhookDeliveries")) {
    return { webhookDeliveries: { totalCount: 1, pageInfo: { hasNextPage: false, endCursor: "x" }, edges: [{ node: DELIVERY }] } };
  }
  return { webhookEndpoints: { edges: [{ node: ENDPOINT }] }, eventTypes: EVENT_TYPES };
}

describe("the brand admin's webhooks page", () => {
  it("adds an endpoint with chosen events and shows its secret once", async () => {
    const { requests } = setup(<Webhooks />, answer);
    const row = await screen.findByTestId("webhook-endpoint");
    expect(row.textContent).toContain("https://crm.example.com/hooks");
    expect(row.textContent).toContain("2 events");
    // webhook.test is sent on request only: not offered as a choice
    const events = screen.getByRole("group", { name: "Events to send" });
    expect(within(events).queryByText("webhook.test")).toBeNull();

    fireEvent.change(screen.getByLabelText("Endpoint URL"), { target: { value: "http://erp.example.com/in" } });
    fireEvent.click(within(events).getByLabelText("conversion.created"));
    fireEvent.click(screen.getByRole("button", { name: "Add the endpoint" }));
    expect((await screen.findByText("Webhook URLs must use https://.")).textContent).toBeTruthy();
    expect(screen.queryByTestId("webhook-secret")).toBeNull();

    fireEvent.change(screen.getByLabelText("Endpoint URL"), { target: { value: "https://erp.example.com/in" } });
    fireEvent.click(screen.getByRole("button", { name: "Add the endpoint" }));
    expect((await screen.findByTestId("webhook-secret")).textContent).toBe("whsec_c2VjcmV0LXNob3duLW9uY2U=");
    const create = requests.filter((request) => request.query.includes("webhookEndpointCreate")).at(-1);
    expect(create?.variables).toEqual({
      input: { url: "https://erp.example.com/in", description: "", allEvents: false, eventTypes: ["conversion.created"] },
    });
  });

  it("shows an endpoint's deliveries with their attempts and replays one", async () => {
    const { requests } = setup(<Webhooks />, answer);
    fireEvent.click(await screen.findByRole("button", { name: "Deliveries" }));
    const delivery = await screen.findByTestId("webhook-delivery");
    expect(delivery.textContent).toContain("conversion.created");
    expect(delivery.textContent).toContain(DELIVERY.eventId);
    expect(delivery.textContent).toContain("Delivered");
    const attempts = within(delivery).getAllByTestId("webhook-attempt");
    expect(attempts).toHaveLength(2);
    expect(attempts[0].textContent).toContain("500");
    expect(attempts[0].textContent).toContain("HTTP 500");
    expect(attempts[1].textContent).toContain("12 ms");

    fireEvent.click(within(delivery).getByRole("button", { name: "Replay" }));
    expect((await screen.findByText("Replay queued.")).textContent).toBeTruthy();
    const replay = requests.find((request) => request.query.includes("webhookDeliveryReplay"));
    expect(replay?.variables).toEqual({ id: "41" });
  });
});

describe("the developer event catalogue", () => {
  it("lists each event with its fields, in French too", async () => {
    setup(
      <EventCatalogue />,
      () => ({
        eventTypes: [
          {
            name: "commission.created",
            version: 1,
            description: "An affiliate earned a commission.",
            subscribable: true,
            jsonSchema: { type: "object" },
            fields: [
              { name: "amount", type: "decimal", description: "What the affiliate earns.", nullable: false },
              { name: "conversion_id", type: "integer", description: "The sale.", nullable: true },
            ],
          },
        ],
      }),
      "fr",
    );
    const event = await screen.findByTestId("catalogue-event");
    expect(event.textContent).toContain("An affiliate earned a commission.");
    expect(event.textContent).toContain("amount");
    expect(event.textContent).toContain("ou null");
    expect(screen.getByText("Schéma JSON de data")).toBeTruthy();
  });
});
