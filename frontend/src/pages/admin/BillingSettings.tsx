/** The brand's billing settings: seller identity, VAT, invoice numbering, bank details. */
import { useEffect, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextAreaField, TextField } from "../../components/form";
import { QueryState, SkeletonRows } from "../../components/states";
import { Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { BillingSettingsFieldsFragment, BillingSettingsInput } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { settled } from "../../components/marketplace/query";
import { StatementSettingsCard } from "../statements/Statements";

export const BillingSettingsFields = graphql(`
  fragment BillingSettingsFields on BillingSettings {
    legalName
    address
    vatId
    vatRate
    invoicePrefix
    legalMentions
    bankAccountHolder
    bankName
    bankIban
    bankBic
    bankRib
    bankInstructions
    planGraceDays
    updatedAt
  }
`);

export const BillingSettingsQuery = graphql(`
  query BillingSettingsPage {
    billingSettings {
      ...BillingSettingsFields
    }
  }
`);

export const BillingSettingsUpdateMutation = graphql(`
  mutation BillingSettingsUpdate($input: BillingSettingsInput!) {
    billingSettingsUpdate(input: $input) {
      billingSettings {
        ...BillingSettingsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Settings = Required<{ [K in keyof BillingSettingsInput]: string }>;

function formOf(settings: BillingSettingsFieldsFragment): Settings {
  return {
    legalName: settings.legalName,
    address: settings.address,
    vatId: settings.vatId,
    vatRate: settings.vatRate,
    invoicePrefix: settings.invoicePrefix,
    legalMentions: settings.legalMentions,
    bankAccountHolder: settings.bankAccountHolder,
    bankName: settings.bankName,
    bankIban: settings.bankIban,
    bankBic: settings.bankBic,
    bankRib: settings.bankRib,
    bankInstructions: settings.bankInstructions,
    planGraceDays: String(settings.planGraceDays),
  };
}

function SettingsForm({ settings }: { settings: BillingSettingsFieldsFragment }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [form, setForm] = useState<Settings>(() => formOf(settings));
  const [saved, setSaved] = useState(false);
  const save = useFormMutation(BillingSettingsUpdateMutation, (data) => data.billingSettingsUpdate);
  useEffect(() => setForm(formOf(settings)), [settings]);
  const set = (key: keyof Settings) => (value: string) => {
    setSaved(false);
    setForm((current) => ({ ...current, [key]: value }));
  };
  const submit = async () => {
    setSaved(false);
    const graceDays = Number.parseInt(form.planGraceDays.trim(), 10);
    const input = {
      ...form,
      vatRate: form.vatRate.trim().replace(",", "."),
      invoicePrefix: form.invoicePrefix.trim().toUpperCase(),
      planGraceDays: Number.isNaN(graceDays) ? -1 : graceDays,
    };
    if (await save.run({ input })) setSaved(true);
  };
  const today = new Date();
  const sample = `${(form.invoicePrefix || "INV").toUpperCase()}-${today.getFullYear()}${String(today.getMonth() + 1).padStart(2, "0")}${String(today.getDate()).padStart(2, "0")}-0001`;
  return (
    <Form onSubmit={submit} errors={save.errors} busy={save.fetching} aria-label={t("billingSettings.title")}>
      <h2 className="form-section-title">{t("billingSettings.seller")}</h2>
      <div className="form-grid">
        <TextField name="legalName" label={t("billingSettings.legalName")} value={form.legalName} onChange={set("legalName")} autoComplete="organization" />
        <TextField name="vatId" label={t("billingSettings.vatId")} value={form.vatId} onChange={set("vatId")} />
        <TextAreaField name="address" label={t("billingSettings.address")} value={form.address} onChange={set("address")} rows={3} className="span-2" />
      </div>
      <h2 className="form-section-title">{t("billingSettings.invoices")}</h2>
      <div className="form-grid">
        <TextField name="vatRate" label={t("billingSettings.vatRate")} hint={t("billingSettings.vatRateHint")} inputMode="decimal" suffix="%" value={form.vatRate} onChange={set("vatRate")} />
        <TextField name="invoicePrefix" label={t("billingSettings.invoicePrefix")} hint={t("billingSettings.prefixHint", { sample })} value={form.invoicePrefix} onChange={set("invoicePrefix")} />
        <TextAreaField name="legalMentions" label={t("billingSettings.legalMentions")} hint={t("billingSettings.legalMentionsHint")} value={form.legalMentions} onChange={set("legalMentions")} rows={3} className="span-2" />
      </div>
      <h2 className="form-section-title">{t("failingSubs.settingsTitle")}</h2>
      <div className="form-grid">
        <TextField name="planGraceDays" label={t("failingSubs.graceDays")} hint={t("failingSubs.graceDaysHint")} inputMode="numeric" value={form.planGraceDays} onChange={set("planGraceDays")} />
      </div>
      <h2 className="form-section-title">{t("billingSettings.bank")}</h2>
      <p className="muted small">{t("billingSettings.bankHint")}</p>
      <div className="form-grid">
        <TextField name="bankAccountHolder" label={t("bank.accountHolder")} value={form.bankAccountHolder} onChange={set("bankAccountHolder")} />
        <TextField name="bankName" label={t("bank.bankName")} value={form.bankName} onChange={set("bankName")} />
        <TextField name="bankIban" label={t("bank.iban")} value={form.bankIban} onChange={set("bankIban")} />
        <TextField name="bankBic" label={t("bank.bic")} value={form.bankBic} onChange={set("bankBic")} />
        <TextField name="bankRib" label={t("bank.rib")} hint={t("billingSettings.ribHint")} value={form.bankRib} onChange={set("bankRib")} />
        <TextAreaField name="bankInstructions" label={t("billingSettings.instructions")} hint={t("billingSettings.instructionsHint")} value={form.bankInstructions} onChange={set("bankInstructions")} rows={3} className="span-2" />
      </div>
      <FormErrors />
      <div className="button-row">
        <SubmitButton>{t("common.save")}</SubmitButton>
        {saved ? (
          <span className="saved" role="status">
            {t("common.saved")}
          </span>
        ) : (
          <span className="muted small">{t("billingSettings.updatedAt", { date: i18n.dateTime(settings.updatedAt) })}</span>
        )}
      </div>
    </Form>
  );
}

export default function BillingSettings() {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: BillingSettingsQuery, requestPolicy: "cache-and-network" });
  return (
    <div className="stack">
      <PageHeader title={t("billingSettings.title")} subtitle={t("billingSettings.subtitle")} />
      <Card>
        <QueryState result={settled(result)} retry={() => reexecute({ requestPolicy: "network-only" })} loading={<SkeletonRows rows={6} />}>
          {(data) => <SettingsForm settings={data.billingSettings} />}
        </QueryState>
      </Card>
      <StatementSettingsCard />
    </div>
  );
}
