/**
 * Brand themes at run time. A theme (from the `brand` query, `brandUpdated` or the theme
 * editor's preview) becomes CSS custom properties on an element: `:root` for the page, a
 * preview box for the editor. Every style in the app reads these variables, so swapping them
 * re-themes whatever is on screen without a reload.
 *
 * The names match the server's `themes.css_variables` (Django inlines the same ones in
 * index.html for the first paint): --color-primary, --color-on-primary, --font-family, ...
 */
import type { ColorFieldsFragment, ThemeFieldsFragment } from "../gql/graphql";

export type ColorMode = "light" | "dark";

const COLOR_KEYS: (keyof ColorFieldsFragment)[] = [
  "primary",
  "onPrimary",
  "background",
  "surface",
  "text",
  "mutedText",
  "accent",
  "border",
];

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (char) => `-${char.toLowerCase()}`);
}

/** The theme's tokens in one colour mode, as CSS custom properties. */
export function themeVariables(theme: ThemeFieldsFragment, mode: ColorMode = "light"): Record<string, string> {
  const palette = mode === "dark" ? theme.darkColors : theme.colors;
  const variables: Record<string, string> = {};
  for (const key of COLOR_KEYS) {
    variables[`--color-${kebab(key)}`] = palette[key];
  }
  variables["--font-family"] = theme.typography.fontFamily;
  variables["--font-family-heading"] = theme.typography.headingFontFamily;
  variables["--font-size-base"] = theme.typography.baseSize;
  variables["--radius"] = theme.radius;
  variables["--spacing"] = theme.spacing;
  return variables;
}

/** Set the variables on ``element`` (inline style wins over the stylesheet inlined by Django). */
export function applyVariables(element: HTMLElement, variables: Record<string, string>): void {
  for (const [name, value] of Object.entries(variables)) {
    element.style.setProperty(name, value);
  }
}

/** Theme the whole page: variables on <html>, its mode and theme name as data attributes. */
export function applyTheme(theme: ThemeFieldsFragment, mode: ColorMode, root: HTMLElement = document.documentElement): void {
  applyVariables(root, themeVariables(theme, mode));
  root.dataset.theme = theme.name;
  root.dataset.mode = mode;
  const meta = document.querySelector<HTMLMetaElement>('meta[name="theme-color"]');
  if (meta) meta.content = (mode === "dark" ? theme.darkColors : theme.colors).background;
}

const MODE_KEY = "afp.mode";

export function storedMode(): ColorMode {
  try {
    return window.localStorage.getItem(MODE_KEY) === "dark" ? "dark" : "light";
  } catch {
    return "light";
  }
}

export function storeMode(mode: ColorMode): void {
  try {
    window.localStorage.setItem(MODE_KEY, mode);
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}
