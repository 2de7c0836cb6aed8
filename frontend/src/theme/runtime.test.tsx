import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { makeSubject, never } from "wonka";
import { Provider, type Client } from "urql";

import { SessionProvider, useSession } from "../app/session";
import type { BrandFieldsFragment } from "../gql/graphql";
import { AURUM, boot, NEUTRAL } from "../test/fixtures";
import { AA_TEXT, contrastRatio } from "./contrast";
import { applyTheme, themeVariables } from "./runtime";

function css(name: string): string {
  return document.documentElement.style.getPropertyValue(name);
}

describe("theme runtime", () => {
  it("applies a theme's tokens as CSS variables on the page", () => {
    applyTheme(AURUM, "light");

    expect(css("--color-primary")).toBe("#d4af37");
    expect(css("--color-on-primary")).toBe("#0b0b0b");
    expect(css("--color-muted-text")).toBe("#bfb59a");
    expect(css("--font-family-heading")).toBe("Georgia, 'Times New Roman', serif");
    expect(css("--radius")).toBe("2px");
    expect(document.documentElement.dataset.theme).toBe("aurum");
  });

  it("switches to the dark palette", () => {
    applyTheme(NEUTRAL, "dark");

    expect(css("--color-background")).toBe("#0f172a");
    expect(css("--color-primary")).toBe("#60a5fa");
    expect(document.documentElement.dataset.mode).toBe("dark");
  });

  it("names the variables as the server does", () => {
    expect(Object.keys(themeVariables(NEUTRAL)).sort()).toEqual(
      [
        "--color-accent",
        "--color-background",
        "--color-border",
        "--color-muted-text",
        "--color-on-primary",
        "--color-primary",
        "--color-surface",
        "--color-text",
        "--font-family",
        "--font-family-heading",
        "--font-size-base",
        "--radius",
        "--spacing",
      ].sort(),
    );
  });

  it("re-themes the page when brandUpdated says so", () => {
    const updates = makeSubject<{ data: { brandUpdated: BrandFieldsFragment } }>();
    const client = {
      executeQuery: () => never,
      executeMutation: () => never,
      executeSubscription: () => updates.source,
    } as unknown as Client;
    function BrandName() {
      return <p>{useSession().brand?.name}</p>;
    }
    render(
      <Provider value={client}>
        <SessionProvider boot={boot(NEUTRAL)} onUserChange={() => undefined} splash={null}>
          {() => <BrandName />}
        </SessionProvider>
      </Provider>,
    );
    expect(css("--color-primary")).toBe("#2563eb");

    act(() => updates.next({ data: { brandUpdated: { ...boot().brand!, name: "Nova Gold", theme: AURUM } } }));

    expect(css("--color-primary")).toBe("#d4af37");
    expect(screen.getByText("Nova Gold")).toBeTruthy();
  });
});

describe("contrast", () => {
  it("measures WCAG ratios", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
    expect(contrastRatio(AURUM.colors.onPrimary, AURUM.colors.primary)).toBeGreaterThanOrEqual(AA_TEXT);
  });
});
