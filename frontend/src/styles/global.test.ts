import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The stylesheet is written without nesting: a rule opened inside another plain rule is a
 * missing "}" (the build accepts it as CSS nesting and silently scopes every later rule).
 */
function nestedRules(css: string): string[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  const stack: ("at" | "rule")[] = [];
  const problems: string[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index];
    if (char === "{") {
      const prelude = text.slice(start, index).trim();
      const kind = prelude.startsWith("@") ? "at" : "rule";
      if (kind === "rule" && stack[stack.length - 1] === "rule") problems.push(prelude);
      stack.push(kind);
      start = index + 1;
    } else if (char === "}") {
      stack.pop();
      start = index + 1;
    } else if (char === ";") {
      start = index + 1;
    }
  }
  if (stack.length) problems.push(`${stack.length} block(s) never closed`);
  return problems;
}

describe("global.css", () => {
  it("has no rule nested in another (every block is closed)", () => {
    const css = readFileSync(resolve(process.cwd(), "src/styles/global.css"), "utf8");
    expect(nestedRules(css)).toEqual([]);
  });

  it("finds a missing brace", () => {
    expect(nestedRules(".a { color: red;\n.b { color: blue; }")).toEqual([".b", "1 block(s) never closed"]);
  });
});

/** Every outline drawn with a colour: focus rings must use the opaque --focus-ring token. */
function outlineColours(css: string): string[] {
  const text = css.replace(/\/\*[\s\S]*?\*\//g, "");
  return [...text.matchAll(/outline(?:-color)?\s*:\s*([^;}]+)/g)]
    .map((match) => match[1].trim())
    .filter((value) => !/^(none|0)$/.test(value));
}

describe("focus rings", () => {
  const sheets = ["src/styles/global.css", "src/components/marketplace/marketplace.css"];

  it("are drawn in the --focus-ring colour, never a see-through mix", () => {
    for (const sheet of sheets) {
      const css = readFileSync(resolve(process.cwd(), sheet), "utf8");
      const colours = outlineColours(css);
      expect(colours.length, sheet).toBeGreaterThan(0);
      for (const value of colours) expect(value, `${sheet}: outline ${value}`).toMatch(/^\d+px solid var\(--focus-ring\)$/);
    }
  });

  it("--focus-ring is the theme's primary colour, which the theme tests hold at 3:1", () => {
    const css = readFileSync(resolve(process.cwd(), "src/styles/global.css"), "utf8");
    expect(css).toMatch(/--focus-ring:\s*var\(--color-primary\);/);
  });

  it("catches a translucent ring", () => {
    expect(outlineColours(".x:focus { outline: 3px solid color-mix(in srgb, red 50%, transparent); }")).toEqual([
      "3px solid color-mix(in srgb, red 50%, transparent)",
    ]);
  });
});
