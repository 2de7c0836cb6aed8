/**
 * French and English, switchable at any time. The language is the visitor's choice (kept in
 * localStorage) or else the brand's default `language`. Catalogs are plain objects: `fr` must
 * have every key of `en` (the type checker says so), and `t("key", {name})` fills `{name}`.
 *
 * Only the catalog of the language shown is downloaded: each is a chunk of its own, loaded on
 * demand (`loadLanguage`). The first one starts loading as soon as this module runs, from the
 * visitor's stored choice or else the `<html lang>` Django rendered (the brand's language), so
 * it arrives with the app's first chunks. Nothing is painted in a language before its catalog
 * is there: the first render waits for it (the root suspends, leaving the page as Django sent
 * it), and a switch keeps the current language on screen until the new one has loaded.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";

import type { LanguageCode } from "../gql/graphql";
import type { MessageKey } from "./en";

export type Language = "en" | "fr";
export type { MessageKey };
export type Params = Record<string, string | number>;

export const LANGUAGES: { code: Language; label: string }[] = [
  { code: "en", label: "English" },
  { code: "fr", label: "Français" },
];

type Catalog = Record<MessageKey, string>;

const LOADERS: Record<Language, () => Promise<Catalog>> = {
  en: () => import("./en").then((module) => module.en),
  fr: () => import("./fr").then((module) => module.fr),
};
const CATALOGS: Partial<Record<Language, Catalog>> = {};
const LOADING: Partial<Record<Language, Promise<void>>> = {};
const FAILED: Partial<Record<Language, unknown>> = {};
const LANGUAGE_KEY = "afp.lang";

export function isLoaded(language: Language): boolean {
  return CATALOGS[language] !== undefined;
}

/** Downloads a language's catalog (once; a failed download is tried again on the next call). */
export function loadLanguage(language: Language): Promise<void> {
  if (isLoaded(language)) return Promise.resolve();
  let loading = LOADING[language];
  if (!loading) {
    delete FAILED[language];
    loading = LOADERS[language]().then(
      (catalog) => {
        CATALOGS[language] = catalog;
      },
      (error: unknown) => {
        delete LOADING[language];
        FAILED[language] = error;
        throw error;
      },
    );
    LOADING[language] = loading;
  }
  return loading;
}

/** Every catalog has every key (the type checker says so): any loaded one tells the keys. */
export function isMessageKey(key: string): key is MessageKey {
  return Object.values(CATALOGS).some((catalog) => Object.prototype.hasOwnProperty.call(catalog, key));
}

/** `key` in `language`, which must be loaded (the provider renders nothing before); else the key. */
export function translate(language: Language, key: MessageKey, params?: Params): string {
  const text = CATALOGS[language]?.[key] ?? CATALOGS.en?.[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (match, name: string) => (name in params ? String(params[name]) : match));
}

export function languageOf(code: LanguageCode | string | null | undefined): Language {
  return String(code ?? "").toLowerCase() === "fr" ? "fr" : "en";
}

/** The browser's preferred language, where no brand says otherwise yet. */
export function browserLanguage(): Language {
  return languageOf(typeof navigator === "undefined" ? "" : navigator.language?.slice(0, 2));
}

export function storedLanguage(): Language | null {
  try {
    const value = window.localStorage.getItem(LANGUAGE_KEY);
    return value === "en" || value === "fr" ? value : null;
  } catch {
    return null;
  }
}

interface Money {
  amount: string;
  currency: string;
}

export interface I18n {
  lang: Language;
  /** The BCP 47 locale for Intl formats (fr-FR, en-GB). */
  locale: string;
  setLang: (language: Language) => void;
  t: (key: MessageKey, params?: Params) => string;
  /** A decimal string formatted exactly (no float on the way), e.g. "1 234,50 €". */
  money: (value: Money | null | undefined) => string;
  number: (value: number | string) => string;
  percent: (value: number | string) => string;
  date: (iso: string | null | undefined) => string;
  dateTime: (iso: string | null | undefined) => string;
}

const I18nContext = createContext<I18n | null>(null);

function locale(language: Language): string {
  return language === "fr" ? "fr-FR" : "en-GB";
}

export function makeI18n(lang: Language, setLang: (language: Language) => void): I18n {
  const loc = locale(lang);
  const dateFormat = new Intl.DateTimeFormat(loc, { dateStyle: "medium" });
  const dateTimeFormat = new Intl.DateTimeFormat(loc, { dateStyle: "medium", timeStyle: "short" });
  const numberFormat = new Intl.NumberFormat(loc);
  return {
    lang,
    locale: loc,
    setLang,
    t: (key, params) => translate(lang, key, params),
    money: (value) => {
      if (!value) return "—";
      // Intl formats a numeric string exactly (ES2023); amounts never become floats.
      const format = new Intl.NumberFormat(loc, { style: "currency", currency: value.currency });
      return format.format(value.amount as Intl.StringNumericLiteral);
    },
    number: (value) => numberFormat.format(value as number),
    percent: (value) =>
      `${new Intl.NumberFormat(loc, { maximumFractionDigits: 2 }).format(value as number)} %`,
    date: (iso) => (iso ? dateFormat.format(new Date(iso)) : "—"),
    dateTime: (iso) => (iso ? dateTimeFormat.format(new Date(iso)) : "—"),
  };
}

/** The language the page will most likely show: the stored choice, else Django's `<html lang>`. */
function expectedLanguage(): Language {
  return storedLanguage() ?? (document.documentElement.lang ? languageOf(document.documentElement.lang) : browserLanguage());
}

if (typeof document !== "undefined") {
  // Started now, while the rest of the app's first chunks are still arriving.
  loadLanguage(expectedLanguage()).catch(() => undefined);
}

export function I18nProvider({ defaultLanguage, children }: { defaultLanguage: Language; children: ReactNode }) {
  const [chosen, setChosen] = useState<Language | null>(storedLanguage);
  const wanted = chosen ?? defaultLanguage;
  // The language on screen: the wanted one once its catalog is loaded, the previous one until then.
  // A provider mounted later (never the case with the data Django inlines) starts in a loaded
  // language rather than suspend: a suspension in a synchronous update (a click) is an error.
  const [shown, setShown] = useState<Language | null>(() =>
    isLoaded(wanted) ? wanted : (LANGUAGES.map(({ code }) => code).find(isLoaded) ?? null),
  );
  const lang = isLoaded(wanted) ? wanted : shown;
  if (lang === null) {
    // The first render, before any catalog: suspend (React keeps what is on screen and renders
    // again when the catalog is in). A failed download is an error, like a page's chunk failing.
    if (FAILED[wanted] !== undefined) throw FAILED[wanted];
    throw loadLanguage(wanted);
  }
  if (lang !== shown) setShown(lang);
  useEffect(() => {
    let current = true;
    if (!isLoaded(wanted)) {
      loadLanguage(wanted).then(
        () => current && setShown(wanted),
        () => undefined, // stays in the language shown; a later switch tries again
      );
    }
    return () => {
      current = false;
    };
  }, [wanted]);
  const setLang = useCallback((language: Language) => {
    setChosen(language);
    try {
      window.localStorage.setItem(LANGUAGE_KEY, language);
    } catch {
      /* the choice lasts for this page only */
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo(() => makeI18n(lang, setLang), [lang, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error("useI18n outside <I18nProvider>");
  return value;
}
