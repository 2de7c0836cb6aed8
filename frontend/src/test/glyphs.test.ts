import { describe, expect, it } from "vitest";

// The browsers of kiosks and of the CI (Debian's Chromium) often have no colour-emoji font:
// an emoji then shows as an empty box (walkthrough finding 20, "📍" beside a deal's address).
// Icons are drawn as inline SVG instead; the symbols of common fonts (★ ✓ ☰) are fine.
const sources = import.meta.glob(["../**/*.{ts,tsx}", "!../gql/**", "!../**/*.test.{ts,tsx}"], {
  query: "?raw",
  import: "default",
  eager: true,
}) as Record<string, string>;

const EMOJI = /[\u{1F000}-\u{1FAFF}]/u;

describe("glyphs", () => {
  it("reads the sources", () => {
    expect(Object.keys(sources).length).toBeGreaterThan(20);
  });

  it("uses no emoji in the web app's text or markup", () => {
    const found = Object.entries(sources).flatMap(([path, text]) =>
      text
        .split("\n")
        .map((line, index) => ({ path, line: index + 1, match: line.match(EMOJI)?.[0] }))
        .filter((hit) => hit.match),
    );
    expect(found).toEqual([]);
  });
});
