/** The catalogs are downloaded on demand (each test file runs in an environment of its own: the
 * renders here must not follow others' act() work). */
import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { createRoot } from "react-dom/client";
import { describe, expect, it, vi } from "vitest";

describe("catalogs loaded on demand", () => {
  // A fresh copy of the module: no catalog loaded yet (the test setup loads both in the shared one).
  async function freshI18n() {
    vi.resetModules();
    return import("./index");
  }

  it("renders nothing before the catalog is in, then the page in its language", async () => {
    document.documentElement.lang = "fr"; // what Django rendered: the fr catalog starts loading at once
    const i18n = await freshI18n();
    expect(i18n.isLoaded("en")).toBe(false);
    function Title() {
      return <h1>{i18n.useI18n().t("home.title", { brand: "Nova" })}</h1>;
    }
    // As main.tsx renders (no act(): the first render suspends until the catalog is in).
    const act = (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT;
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
    const container = document.body.appendChild(document.createElement("div"));
    container.innerHTML = "<p>served by Django</p>";
    const root = createRoot(container);
    try {
      root.render(
        <i18n.I18nProvider defaultLanguage="fr">
          <Title />
        </i18n.I18nProvider>,
      );
      if (!i18n.isLoaded("fr")) expect(container.textContent).toBe("served by Django"); // no other language
      // Polled by hand: RTL's waitFor flushes React's work inside act(), where a suspension is an error.
      for (let wait = 0; wait < 100 && container.textContent !== "Grandissez avec Nova"; wait++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(container.textContent).toBe("Grandissez avec Nova");
      expect(i18n.isLoaded("en")).toBe(false); // the other language was never downloaded
    } finally {
      root.unmount();
      container.remove();
      (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = act;
    }
  });

  it("keeps the current language on screen until the chosen one has loaded", async () => {
    const i18n = await freshI18n();
    await i18n.loadLanguage("en");
    expect(i18n.isLoaded("fr")).toBe(false);
    function Page() {
      const { t, setLang } = i18n.useI18n();
      return (
        <>
          <h1>{t("home.title", { brand: "Nova" })}</h1>
          <button onClick={() => setLang("fr")}>fr</button>
        </>
      );
    }
    render(
      <i18n.I18nProvider defaultLanguage="en">
        <Page />
      </i18n.I18nProvider>,
    );
    expect(screen.getByRole("heading").textContent).toBe("Grow with Nova");
    fireEvent.click(screen.getByRole("button"));
    expect(screen.getByRole("heading").textContent).toBe("Grow with Nova");
    await waitFor(() => expect(screen.getByRole("heading").textContent).toBe("Grandissez avec Nova"));
    expect(document.documentElement.lang).toBe("fr");
  });
});
