import { useLayoutEffect, useRef, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { Form, FormErrors, SelectField, SubmitButton, TextField } from "../../components/form";
import { QueryState } from "../../components/states";
import { Badge, Card, PageHeader, StatCard, Tabs } from "../../components/ui";
import { TwoFactorPolicy } from "./TwoFactorPolicy";
import { graphql } from "../../gql";
import type { LanguageCode, MerchantSignupPolicy, ThemeFieldsFragment } from "../../gql/graphql";
import { isMessageKey, useI18n } from "../../i18n";
import type { MessageKey } from "../../i18n/en";
import { AA_TEXT, contrastRatio } from "../../theme/contrast";
import {
  FONT_KEYS,
  isHexColor,
  LENGTH_KEYS,
  mergeOverrides,
  overrideAt,
  PALETTE_KEYS,
  parseOverrides,
  withOverride,
  type PaletteKey,
  type ThemeOverrides,
} from "../../theme/overrides";
import { applyVariables, themeVariables, type ColorMode } from "../../theme/runtime";

export const ThemesQuery = graphql(`
  query Themes {
    themes {
      ...ThemeFields
    }
  }
`);

export const BrandUpdateMutation = graphql(`
  mutation BrandUpdate($input: BrandUpdateInput!) {
    brandUpdate(input: $input) {
      brand {
        ...BrandFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

const PAIRS = [
  ["text", "background"],
  ["text", "surface"],
  ["mutedText", "background"],
  ["mutedText", "surface"],
  ["onPrimary", "primary"],
] as const;

/** A named theme's label or description in the reader's language (the theme files hold the
 * English text, shown for a theme the catalogs do not know yet). */
export function themeText(t: (key: MessageKey) => string, name: string, part: "label" | "description", fallback: string): string {
  const key = `theme.named.${name}.${part}`;
  return isMessageKey(key) ? t(key) : fallback;
}

/** The theme's text contrast (WCAG AA 4.5:1) in one mode. */
export function contrastReport(theme: ThemeFieldsFragment, mode: ColorMode) {
  const palette = mode === "dark" ? theme.darkColors : theme.colors;
  return PAIRS.map(([text, background]) => {
    const ratio = contrastRatio(palette[text], palette[background]);
    return { text, background, ratio, passes: ratio >= AA_TEXT };
  });
}

function Swatches({ theme }: { theme: ThemeFieldsFragment }) {
  return (
    <span className="swatches" aria-hidden="true">
      {[theme.colors.primary, theme.colors.accent, theme.colors.background, theme.colors.text].map((colour, index) => (
        <span key={index} className="swatch" style={{ background: colour }} />
      ))}
    </span>
  );
}

/** One colour token: a native colour picker and the #rrggbb text (where its field error shows). */
function ColorToken({
  path,
  token,
  value,
  effective,
  onChange,
}: {
  path: string;
  token: PaletteKey;
  value: string;
  effective: string;
  onChange: (value: string) => void;
}) {
  const { t } = useI18n();
  const label = t(`theme.token.${token}` as MessageKey);
  return (
    <div className="color-token" data-token={path} style={{ display: "flex", alignItems: "flex-end", gap: "0.5rem" }}>
      <input
        type="color"
        className="color-swatch-input"
        style={{ inlineSize: "2.5rem", blockSize: "2.5rem", padding: 0, border: "1px solid var(--color-border)", borderRadius: "var(--radius)", marginBlockEnd: "0.25rem" }}
        aria-label={t("theme.pickColor", { token: label })}
        value={isHexColor(value) ? value.toLowerCase() : effective}
        onChange={(event) => onChange(event.target.value)}
      />
      <TextField
        name={`themeOverrides.${path}`}
        label={label}
        value={value}
        placeholder={effective}
        maxLength={7}
        spellCheck={false}
        onChange={onChange}
      />
    </div>
  );
}

/** The override fields: the palette of the previewed mode, fonts, radius and spacing. */
export function OverrideFields({
  theme,
  overrides,
  mode,
  onChange,
  onReset,
}: {
  theme: ThemeFieldsFragment;
  overrides: ThemeOverrides;
  mode: ColorMode;
  onChange: (path: string, value: string) => void;
  onReset: () => void;
}) {
  const { t } = useI18n();
  const section = mode === "dark" ? "darkColors" : "colors";
  const palette = mode === "dark" ? theme.darkColors : theme.colors;
  const hasOverrides = Object.keys(overrides).length > 0;
  return (
    <fieldset className="field theme-overrides">
      <legend>{t("theme.customize")}</legend>
      <p className="muted small">{t("theme.customizeHint")}</p>
      <fieldset className="field">
        <legend>{t("theme.paletteFor", { mode: t(mode === "dark" ? "theme.dark" : "theme.light") })}</legend>
        <div
          className="color-tokens"
          style={{ display: "grid", gridTemplateColumns: "repeat(auto-fill, minmax(13rem, 1fr))", columnGap: "1rem" }}
        >
          {PALETTE_KEYS.map((token) => (
            <ColorToken
              key={`${section}.${token}`}
              path={`${section}.${token}`}
              token={token}
              value={overrideAt(overrides, `${section}.${token}`)}
              effective={palette[token]}
              onChange={(value) => onChange(`${section}.${token}`, value)}
            />
          ))}
        </div>
      </fieldset>
      <fieldset className="field">
        <legend>{t("theme.typography")}</legend>
        {FONT_KEYS.map((token) => (
          <TextField
            key={token}
            name={`themeOverrides.typography.${token}`}
            label={t(`theme.token.${token}`)}
            value={overrideAt(overrides, `typography.${token}`)}
            placeholder={theme.typography[token]}
            maxLength={200}
            onChange={(value) => onChange(`typography.${token}`, value)}
          />
        ))}
        {LENGTH_KEYS.map((token) => (
          <TextField
            key={token}
            name={`themeOverrides.${token}`}
            label={t(`theme.token.${token}`)}
            hint={t("theme.lengthHint")}
            value={overrideAt(overrides, token)}
            placeholder={theme[token]}
            maxLength={12}
            onChange={(value) => onChange(token, value)}
          />
        ))}
      </fieldset>
      <button type="button" className="button button-ghost" onClick={onReset} disabled={!hasOverrides}>
        {t("theme.reset")}
      </button>
    </fieldset>
  );
}

/** A miniature page in ``theme``: the variables are set on this box only. */
function Preview({ theme, mode, brandName, currency }: { theme: ThemeFieldsFragment; mode: ColorMode; brandName: string; currency: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const ref = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (ref.current) applyVariables(ref.current, themeVariables(theme, mode));
  }, [theme, mode]);
  return (
    <div ref={ref} className="theme-preview" data-testid="theme-preview" data-theme={theme.name}>
      <div className="preview-header">
        <span className="brand-logo" aria-hidden="true">
          {brandName.slice(0, 1)}
        </span>
        <strong className="brand-name">{brandName}</strong>
        <span className="preview-nav muted">{t("nav.home")} · {t("nav.program")} · {t("nav.leaderboard")}</span>
      </div>
      <div className="preview-body">
        <h3>{t("home.title", { brand: brandName })}</h3>
        <p className="muted">{t("home.lead")}</p>
        <div className="button-row">
          <button type="button" className="button button-primary" tabIndex={-1}>
            {t("home.join")}
          </button>
          <button type="button" className="button button-secondary" tabIndex={-1}>
            {t("home.learnMore")}
          </button>
        </div>
        <div className="stat-grid stat-grid-compact">
          <StatCard label={t("stats.clicks")} value={i18n.number(1284)} live />
          <StatCard label={t("stats.earnings")} value={i18n.money({ amount: currency === "MAD" ? "7425.00" : "742.50", currency })} />
        </div>
        <p>
          <Badge tone="success">{t("withdrawal.PAID")}</Badge> <Badge tone="warning">{t("withdrawal.REQUESTED")}</Badge>{" "}
          <a href="#preview" onClick={(event) => event.preventDefault()} tabIndex={-1}>
            {t("nav.faq")}
          </a>
        </p>
      </div>
    </div>
  );
}

export default function ThemeEditor() {
  const { t } = useI18n();
  const { brand, setBrand } = useSession();
  const [result] = useQuery({ query: ThemesQuery });
  const [themeName, setThemeName] = useState(brand?.theme.name ?? "default");
  const [name, setName] = useState(brand?.name ?? "");
  const [language, setLanguage] = useState<LanguageCode>(brand?.language ?? "EN");
  const [merchantSignup, setMerchantSignup] = useState<MerchantSignupPolicy>(brand?.merchantSignup ?? "APPROVAL");
  const [overrides, setOverrides] = useState<ThemeOverrides>(() => parseOverrides(brand?.theme.overrides));
  const [mode, setMode] = useState<ColorMode>("light");
  const [saved, setSaved] = useState(false);
  const update = useFormMutation(BrandUpdateMutation, (data) => data.brandUpdate);

  const changeOverride = (path: string, value: string) => {
    setOverrides((current) => withOverride(current, path, value.trim() === "" ? "" : value));
    setSaved(false);
  };

  const submit = async () => {
    const data = await update.run({ input: { name, theme: themeName, language, merchantSignup, themeOverrides: overrides } });
    const updated = data?.brandUpdate.brand;
    if (updated) {
      setBrand(updated);
      setSaved(true);
    }
  };

  return (
    <div className="stack">
      <PageHeader title={t("theme.title")} subtitle={t("theme.subtitle")} />
      <QueryState result={result}>
        {(data) => {
          const named = data.themes.find((theme) => theme.name === themeName) ?? data.themes[0];
          // The draft: what the preview shows and the contrast report checks, before saving.
          const selected = mergeOverrides(named, overrides);
          const report = contrastReport(selected, mode);
          return (
            <div className="grid grid-sidebar theme-editor">
              <Card title={t("theme.settings")}>
                <Form onSubmit={submit} errors={update.errors} busy={update.fetching} aria-label={t("theme.settings")}>
                  <TextField name="name" label={t("theme.brandName")} value={name} onChange={(value) => { setName(value); setSaved(false); }} />
                  <fieldset className="field theme-choices">
                    <legend>{t("theme.theme")}</legend>
                    {data.themes.map((theme) => (
                      <label key={theme.name} className={`theme-choice${theme.name === themeName ? " selected" : ""}`}>
                        <input
                          type="radio"
                          name="theme"
                          value={theme.name}
                          checked={theme.name === themeName}
                          onChange={() => {
                            setThemeName(theme.name);
                            setSaved(false);
                          }}
                        />
                        <Swatches theme={theme} />
                        <span>
                          <strong>{themeText(t, theme.name, "label", theme.label)}</strong>
                          <span className="muted small block">{themeText(t, theme.name, "description", theme.description)}</span>
                        </span>
                      </label>
                    ))}
                  </fieldset>
                  <OverrideFields
                    theme={named}
                    overrides={overrides}
                    mode={mode}
                    onChange={changeOverride}
                    onReset={() => {
                      setOverrides({});
                      setSaved(false);
                    }}
                  />
                  <SelectField
                    name="language"
                    label={t("theme.language")}
                    hint={t("theme.languageHint")}
                    value={language}
                    onChange={(value) => {
                      setLanguage(value as LanguageCode);
                      setSaved(false);
                    }}
                    options={[
                      { value: "EN", label: "English" },
                      { value: "FR", label: "Français" },
                    ]}
                  />
                  <SelectField
                    name="merchantSignup"
                    label={t("theme.merchantSignup")}
                    hint={t("theme.merchantSignupHint")}
                    value={merchantSignup}
                    onChange={(value) => {
                      setMerchantSignup(value as MerchantSignupPolicy);
                      setSaved(false);
                    }}
                    options={[
                      { value: "APPROVAL", label: t("merchantSignup.APPROVAL") },
                      { value: "INVITE_ONLY", label: t("merchantSignup.INVITE_ONLY") },
                      { value: "OPEN", label: t("merchantSignup.OPEN") },
                    ]}
                  />
                  <FormErrors />
                  <div className="button-row">
                    <SubmitButton>{t("theme.save")}</SubmitButton>
                    <div className="live-region" role="status">
                      {saved ? (
                        <span className="saved">
                          {t("theme.saved")}
                        </span>
                      ) : null}
                    </div>
                  </div>
                </Form>
              </Card>
              <div className="stack">
                <Card
                  title={t("theme.preview")}
                  actions={
                    <Tabs
                      label={t("theme.mode")}
                      value={mode}
                      onChange={setMode}
                      options={[
                        { value: "light", label: t("theme.light") },
                        { value: "dark", label: t("theme.dark") },
                      ]}
                    />
                  }
                >
                  <Preview theme={selected} mode={mode} brandName={name || brand?.name || ""} currency={brand?.currency || "EUR"} />
                </Card>
                <Card title={t("theme.contrast")}>
                  <ul className="contrast-list">
                    {report.map((row) => (
                      <li key={`${row.text}-${row.background}`}>
                        <span>{t("theme.pair", { text: t(`theme.token.${row.text}`), background: t(`theme.token.${row.background}`) })}</span>
                        <span>
                          {row.ratio.toFixed(2)}:1{" "}
                          <Badge tone={row.passes ? "success" : "danger"}>{row.passes ? "AA" : t("theme.fails")}</Badge>
                        </span>
                      </li>
                    ))}
                  </ul>
                </Card>
              </div>
            </div>
          );
        }}
      </QueryState>
      <TwoFactorPolicy />
    </div>
  );
}
