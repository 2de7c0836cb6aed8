import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { fromValue, never } from "wonka";
import { Provider, type Client, type Operation } from "urql";

import { SessionProvider } from "../app/session";
import { I18nProvider } from "../i18n";
import ThemeEditor from "../pages/admin/ThemeEditor";
import { AURUM, boot, NEUTRAL } from "../test/fixtures";
import { mergeOverrides, parseOverrides, withOverride } from "./overrides";

function setup(answer: (variables: Record<string, unknown>) => unknown, brand: { language: "en" | "fr"; currency: string } = { language: "en", currency: "EUR" }) {
  const sent: Record<string, unknown>[] = [];
  const client = {
    executeQuery: (operation: Operation) =>
      fromValue({ operation, data: { themes: [NEUTRAL, AURUM] }, stale: false, hasNext: false }),
    executeMutation: (operation: Operation) => {
      sent.push(operation.variables as Record<string, unknown>);
      return fromValue({ operation, data: answer(operation.variables as Record<string, unknown>), stale: false, hasNext: false });
    },
    executeSubscription: () => never,
  } as unknown as Client;
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={brand.language}>
        <SessionProvider boot={bootOf(brand)} onUserChange={() => undefined} splash={null}>
          {() => <ThemeEditor />}
        </SessionProvider>
      </I18nProvider>
    </Provider>,
  );
  return sent;
}

function bootOf({ language, currency }: { language: "en" | "fr"; currency: string }) {
  const data = boot(NEUTRAL, language === "fr" ? "FR" : "EN");
  return { ...data, brand: data.brand ? { ...data.brand, currency } : data.brand };
}

function field(name: string): HTMLInputElement {
  const input = document.querySelector<HTMLInputElement>(`input[name="${name}"]`);
  if (!input) throw new Error(`no field ${name}`);
  return input;
}

function preview(name: string): string {
  return screen.getByTestId("theme-preview").style.getPropertyValue(name);
}

describe("theme editor", () => {
  it("speaks the brand's language and shows the brand's currency (a French MAD brand)", () => {
    window.localStorage.removeItem("afp.lang");
    setup(() => null, { language: "fr", currency: "MAD" });

    const preview = screen.getByTestId("theme-preview").textContent ?? "";
    expect(preview).toMatch(/MAD/);
    expect(preview).not.toMatch(/€/);
    expect(screen.getByText("Un thème calme et neutre, qui convient à tout programme.")).toBeTruthy();
    expect(screen.getAllByText("Texte sur Fond").length).toBeGreaterThan(0);
    expect(screen.queryByText(/text sur background/)).toBeNull();
  });

  it("previews a draft override locally, before saving, without re-theming the page", () => {
    setup(() => null);
    document.documentElement.style.removeProperty("--color-primary");
    expect(preview("--color-primary")).toBe(NEUTRAL.colors.primary);

    fireEvent.change(field("themeOverrides.colors.primary"), { target: { value: "#7c2d12" } });
    fireEvent.change(field("themeOverrides.radius"), { target: { value: "3px" } });

    expect(preview("--color-primary")).toBe("#7c2d12");
    expect(preview("--radius")).toBe("3px");
    // Half-typed colours keep the theme's value in the preview.
    fireEvent.change(field("themeOverrides.colors.accent"), { target: { value: "#12" } });
    expect(preview("--color-accent")).toBe(NEUTRAL.colors.accent);

    fireEvent.click(screen.getByRole("button", { name: "Reset to the theme" }));
    expect(preview("--color-primary")).toBe(NEUTRAL.colors.primary);
    expect(field("themeOverrides.colors.primary").value).toBe("");
  });

  it("sends the overrides and shows a refused contrast at its field", async () => {
    const sent = setup(() => ({
      brandUpdate: {
        brand: null,
        errors: [{ field: "themeOverrides.colors.primary", code: "LOW_CONTRAST", message: "text has a contrast of 1.07:1" }],
      },
    }));

    fireEvent.change(field("themeOverrides.colors.primary"), { target: { value: "#ffff00" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Save and publish" }));
    });

    expect(sent[0]).toMatchObject({ input: { theme: "default", themeOverrides: { colors: { primary: "#ffff00" } } } });
    const input = field("themeOverrides.colors.primary");
    expect(input.getAttribute("aria-invalid")).toBe("true");
    expect(screen.getByText("text has a contrast of 1.07:1")).toBeTruthy();
  });
});

describe("theme overrides", () => {
  it("merges known tokens only and removes emptied ones", () => {
    const overrides = parseOverrides({ colors: { primary: "#111111", glow: "#222222" }, radius: "1px", shadow: "x" });
    expect(overrides).toEqual({ colors: { primary: "#111111" }, radius: "1px" });
    const merged = mergeOverrides(AURUM, overrides);
    expect(merged.colors.primary).toBe("#111111");
    expect(merged.darkColors.primary).toBe(AURUM.darkColors.primary);
    expect(merged.radius).toBe("1px");
    expect(withOverride(overrides, "colors.primary", "")).toEqual({ radius: "1px" });
  });
});
