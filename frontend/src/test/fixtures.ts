import type { BootQuery, ThemeFieldsFragment } from "../gql/graphql";

export const NEUTRAL: ThemeFieldsFragment = {
  name: "default",
  label: "Neutral",
  description: "",
  radius: "8px",
  spacing: "16px",
  overrides: {},
  colors: { primary: "#2563eb", onPrimary: "#ffffff", background: "#f8fafc", surface: "#ffffff", text: "#0f172a", mutedText: "#475569", accent: "#0d9488", border: "#e2e8f0" },
  darkColors: { primary: "#60a5fa", onPrimary: "#0f172a", background: "#0f172a", surface: "#1e293b", text: "#f1f5f9", mutedText: "#cbd5e1", accent: "#2dd4bf", border: "#334155" },
  typography: { fontFamily: "Inter, system-ui, sans-serif", headingFontFamily: "Inter, system-ui, sans-serif", baseSize: "16px" },
};

export const AURUM: ThemeFieldsFragment = {
  name: "aurum",
  label: "Aurum",
  description: "",
  radius: "2px",
  spacing: "18px",
  overrides: {},
  colors: { primary: "#d4af37", onPrimary: "#0b0b0b", background: "#0b0b0b", surface: "#161616", text: "#f5f0e1", mutedText: "#bfb59a", accent: "#f2d47a", border: "#3a3220" },
  darkColors: { primary: "#d4af37", onPrimary: "#0b0b0b", background: "#000000", surface: "#121212", text: "#f5f0e1", mutedText: "#bfb59a", accent: "#f2d47a", border: "#3a3220" },
  typography: { fontFamily: "'Helvetica Neue', Arial, sans-serif", headingFontFamily: "Georgia, 'Times New Roman', serif", baseSize: "16px" },
};

export function boot(theme: ThemeFieldsFragment = NEUTRAL, language: "EN" | "FR" = "EN"): BootQuery {
  return {
    brand: { id: "1", name: "Nova Partners", subdomain: "nova", domain: "nova.localhost", currency: "EUR", language, merchantSignup: "APPROVAL", theme },
    me: null,
  };
}
