import { useSession } from "../app/session";
import type { ColorFieldsFragment } from "../gql/graphql";

const FALLBACK: ColorFieldsFragment = {
  primary: "#2563eb",
  onPrimary: "#ffffff",
  background: "#f8fafc",
  surface: "#ffffff",
  text: "#0f172a",
  mutedText: "#475569",
  accent: "#0d9488",
  border: "#e2e8f0",
};

/** The current palette as values, for SVG charts (their attributes do not resolve var()). */
export function useThemeColors(): ColorFieldsFragment {
  const { brand, mode } = useSession();
  if (!brand) return FALLBACK;
  return mode === "dark" ? brand.theme.darkColors : brand.theme.colors;
}
