import { render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";

import { App } from "./App";

describe("App", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("renders the splash before the session and its translations have loaded (npm run dev)", () => {
    // Vite's dev server: no boot data inlined by Django, and the boot query still in flight.
    vi.stubGlobal("fetch", vi.fn(() => new Promise<Response>(() => {})));

    render(<App boot={null} />);

    const splash = screen.getByRole("status");
    expect(splash.closest(".splash")).not.toBeNull();
    expect(splash.textContent).toBe("Loading…");
  });

  it("speaks the visitor's stored language on the splash", () => {
    vi.stubGlobal("fetch", vi.fn(() => new Promise<Response>(() => {})));
    window.localStorage.setItem("afp.lang", "fr");

    render(<App boot={null} />);

    expect(screen.getByRole("status").textContent).toBe("Chargement…");
  });
});
