import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { LanguageSwitch } from "../components/Layout";
import { en } from "./en";
import { fr } from "./fr";
import { I18nProvider, makeI18n, translate, useI18n } from "./index";

function Greeting() {
  const { t, money } = useI18n();
  return (
    <>
      <h1>{t("home.title", { brand: "Nova" })}</h1>
      <p data-testid="money">{money({ amount: "1234.50", currency: "EUR" })}</p>
    </>
  );
}

describe("i18n", () => {
  it("starts in the brand's language and switches at once", () => {
    render(
      <I18nProvider defaultLanguage="fr">
        <LanguageSwitch />
        <Greeting />
      </I18nProvider>,
    );
    expect(screen.getByRole("heading").textContent).toBe("Grandissez avec Nova");
    expect(document.documentElement.lang).toBe("fr");
    expect(screen.getByTestId("money").textContent).toMatch(/1\s234,50\s€/);

    fireEvent.change(screen.getByLabelText("Langue"), { target: { value: "en" } });

    expect(screen.getByRole("heading").textContent).toBe("Grow with Nova");
    expect(document.documentElement.lang).toBe("en");
    expect(screen.getByTestId("money").textContent).toBe("€1,234.50");
    expect(window.localStorage.getItem("afp.lang")).toBe("en");
  });

  it("keeps the visitor's choice over the brand's default", () => {
    window.localStorage.setItem("afp.lang", "en");
    render(
      <I18nProvider defaultLanguage="fr">
        <Greeting />
      </I18nProvider>,
    );
    expect(screen.getByRole("heading").textContent).toBe("Grow with Nova");
  });

  it("has every message in both languages", () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(fr)) {
      expect(text.trim(), key).not.toBe("");
      const placeholders = (value: string) => (value.match(/\{\w+\}/g) ?? []).sort();
      expect(placeholders(text), key).toEqual(placeholders(en[key as keyof typeof en]));
    }
  });

  it("formats money exactly, without floats", () => {
    const i18n = makeI18n("en", () => undefined);
    expect(i18n.money({ amount: "90071992547409.93", currency: "EUR" })).toBe("€90,071,992,547,409.93");
    expect(i18n.money({ amount: "10.5", currency: "MAD" })).toContain("10.50");
    expect(translate("fr", "common.days", { count: 30 })).toBe("30 jours");
  });
});
