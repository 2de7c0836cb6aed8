/**
 * A brand's overrides of its named theme: a partial token tree, as the server stores it
 * (`Theme.overrides`, `brandUpdate(input: {themeOverrides})`):
 *
 *   { colors: { primary: "#7c2d12" }, darkColors: {...}, typography: { fontFamily }, radius, spacing }
 *
 * The theme editor keeps a draft of them and previews `mergeOverrides(namedTheme, draft)`
 * before saving; the server validates the same keys (and the contrast) on save.
 */
import type { ColorFieldsFragment, ThemeFieldsFragment } from "../gql/graphql";

export type PaletteKey = keyof ColorFieldsFragment;
export type PaletteSection = "colors" | "darkColors";
export type FontKey = "fontFamily" | "headingFontFamily";
export type LengthKey = "radius" | "spacing";

export interface ThemeOverrides {
  colors?: Partial<Record<PaletteKey, string>>;
  darkColors?: Partial<Record<PaletteKey, string>>;
  typography?: Partial<Record<FontKey, string>>;
  radius?: string;
  spacing?: string;
}

export const PALETTE_KEYS: PaletteKey[] = ["primary", "onPrimary", "background", "surface", "text", "mutedText", "accent", "border"];
export const FONT_KEYS: FontKey[] = ["fontFamily", "headingFontFamily"];
export const LENGTH_KEYS: LengthKey[] = ["radius", "spacing"];

const HEX = /^#[0-9a-fA-F]{6}$/;

export function isHexColor(value: string): boolean {
  return HEX.test(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function strings(value: unknown, keys: readonly string[]): Record<string, string> {
  const result: Record<string, string> = {};
  if (!isRecord(value)) return result;
  for (const key of keys) {
    const item = value[key];
    if (typeof item === "string") result[key] = item;
  }
  return result;
}

/** The known overrides in a `Theme.overrides` JSON value (anything else is ignored). */
export function parseOverrides(value: unknown): ThemeOverrides {
  if (!isRecord(value)) return {};
  const overrides: ThemeOverrides = {};
  const colors = strings(value.colors, PALETTE_KEYS);
  const darkColors = strings(value.darkColors, PALETTE_KEYS);
  const typography = strings(value.typography, FONT_KEYS);
  if (Object.keys(colors).length) overrides.colors = colors;
  if (Object.keys(darkColors).length) overrides.darkColors = darkColors;
  if (Object.keys(typography).length) overrides.typography = typography;
  for (const key of LENGTH_KEYS) {
    const item = value[key];
    if (typeof item === "string" && item) overrides[key] = item;
  }
  return overrides;
}

/** The named theme with the overrides applied. Colours that are not (yet) #rrggbb, as while a
 * user types, are left at the theme's value so the preview never shows a broken palette. */
export function mergeOverrides(theme: ThemeFieldsFragment, overrides: ThemeOverrides): ThemeFieldsFragment {
  const palette = (base: ColorFieldsFragment, changes: ThemeOverrides["colors"]): ColorFieldsFragment => {
    const merged = { ...base };
    for (const key of PALETTE_KEYS) {
      const value = changes?.[key];
      if (value && isHexColor(value)) merged[key] = value;
    }
    return merged;
  };
  return {
    ...theme,
    colors: palette(theme.colors, overrides.colors),
    darkColors: palette(theme.darkColors, overrides.darkColors),
    typography: {
      ...theme.typography,
      fontFamily: overrides.typography?.fontFamily || theme.typography.fontFamily,
      headingFontFamily: overrides.typography?.headingFontFamily || theme.typography.headingFontFamily,
    },
    radius: overrides.radius || theme.radius,
    spacing: overrides.spacing || theme.spacing,
    overrides,
  };
}

/** ``overrides`` with one token set (an empty value removes the override). */
export function withOverride(overrides: ThemeOverrides, path: string, value: string): ThemeOverrides {
  const [section, key] = path.split(".") as [string, string | undefined];
  const next: ThemeOverrides = { ...overrides };
  if (key === undefined) {
    const length = section as LengthKey;
    if (value) next[length] = value;
    else delete next[length];
    return next;
  }
  const group = section as PaletteSection | "typography";
  const current: Record<string, string> = { ...(overrides[group] ?? {}) };
  if (value) current[key] = value;
  else delete current[key];
  if (Object.keys(current).length) (next as Record<string, unknown>)[group] = current;
  else delete next[group];
  return next;
}

/** The override at a dotted path ("colors.primary", "radius"), or "". */
export function overrideAt(overrides: ThemeOverrides, path: string): string {
  const [section, key] = path.split(".") as [string, string | undefined];
  if (key === undefined) return overrides[section as LengthKey] ?? "";
  const group = overrides[section as PaletteSection | "typography"] as Record<string, string> | undefined;
  return group?.[key] ?? "";
}
