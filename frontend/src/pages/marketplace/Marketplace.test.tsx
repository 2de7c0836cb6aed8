import { render, screen } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { fromValue, never } from "wonka";
import { Provider, type Client, type Operation } from "urql";
import { describe, expect, it } from "vitest";

import { I18nProvider } from "../../i18n";
import Marketplace, { apiFilter, hasActiveFilter, readFilters } from "./Marketplace";

/** A brand without any deal: every query answers an empty list. */
function emptyBrand(): Client {
  return {
    executeQuery: (operation: Operation) =>
      fromValue({
        operation,
        data: { categories: [], marketplace: { totalCount: 0, pageInfo: { hasNextPage: false, endCursor: null }, edges: [] } },
        stale: false,
        hasNext: false,
      }),
    executeMutation: () => never,
    executeSubscription: () => never,
  } as unknown as Client;
}

function visit(url: string) {
  render(
    <Provider value={emptyBrand()}>
      <I18nProvider defaultLanguage="en">
        <MemoryRouter initialEntries={[url]}>
          <Routes>
            <Route path="/deals" element={<Marketplace />} />
          </Routes>
        </MemoryRouter>
      </I18nProvider>
    </Provider>,
  );
}

describe("the marketplace's empty states", () => {
  it("says there are no deals yet when nothing is filtered", async () => {
    visit("/deals");
    expect(await screen.findByText("No deals yet.")).toBeTruthy();
    expect(screen.queryByText("No deal matches these filters.")).toBeNull();
  });

  it("says nothing matches when the visitor filtered", async () => {
    visit("/deals?q=spa");
    expect(await screen.findByText("No deal matches these filters.")).toBeTruthy();
  });

  it("knows a filter from none", () => {
    expect(hasActiveFilter(apiFilter(readFilters(new URLSearchParams("")), null))).toBe(false);
    expect(hasActiveFilter(apiFilter(readFilters(new URLSearchParams("sort=PRICE_ASC")), null))).toBe(false);
    expect(hasActiveFilter(apiFilter(readFilters(new URLSearchParams("today=1")), null))).toBe(true);
    expect(hasActiveFilter(apiFilter(readFilters(new URLSearchParams("")), "spa"))).toBe(true);
  });
});
