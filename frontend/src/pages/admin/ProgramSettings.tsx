import { useEffect, useState } from "react";

import type { UserError } from "../../api/errors";
import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { CheckboxField, ChoiceGroup, FieldMessages, Form, FormErrors, SelectField, SubmitButton, TextAreaField, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { AttributionModel, CommissionKind, ProgramInput, RecurringMode, WithdrawalMethod } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { usePrograms, type ProgramInfo } from "../public/programs";
import { FraudRulesCard } from "../fraud/FraudRulesCard";

export const ProgramUpdateMutation = graphql(`
  mutation ProgramUpdate($id: ID!, $input: ProgramInput!) {
    programUpdate(id: $id, input: $input) {
      program {
        ...ProgramPublicFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProgramCreateMutation = graphql(`
  mutation ProgramCreate($input: ProgramCreateInput!) {
    programCreate(input: $input) {
      program {
        ...ProgramPublicFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProgramTiersSetMutation = graphql(`
  mutation ProgramTiersSet($id: ID!, $tiers: [TierInput!]!) {
    programTiersSet(id: $id, tiers: $tiers) {
      program {
        ...ProgramPublicFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

interface RulesForm {
  name: string;
  description: string;
  landingUrl: string;
  allowedDomains: string;
  isActive: boolean;
  autoApprove: boolean;
  commissionKind: CommissionKind;
  flatAmount: string;
  perClickAmount: string;
  recurringMode: RecurringMode;
  recurringMonths: string;
  cascadeRates: string;
  holdDays: string;
  cookieWindowDays: string;
  attributionModel: AttributionModel;
  minimumWithdrawal: string;
  maxOrderValue: string;
  withdrawalMethods: WithdrawalMethod[];
}

function formOf(program: ProgramInfo): RulesForm {
  return {
    name: program.name,
    description: program.description,
    landingUrl: program.landingUrl,
    allowedDomains: program.allowedDomains.join("\n"),
    isActive: program.isActive,
    autoApprove: program.autoApprove,
    commissionKind: program.commissionKind,
    flatAmount: program.flatAmount.amount,
    perClickAmount: program.perClickAmount.amount,
    recurringMode: program.recurringMode,
    recurringMonths: String(program.recurringMonths),
    cascadeRates: program.cascadeRates.join(", "),
    holdDays: String(program.holdDays),
    cookieWindowDays: String(program.cookieWindowDays),
    attributionModel: program.attributionModel,
    minimumWithdrawal: program.minimumWithdrawal.amount,
    maxOrderValue: program.maxOrderValue.amount,
    withdrawalMethods: [...program.withdrawalMethods],
  };
}

const INTEGER_FIELDS = ["recurringMonths", "holdDays", "cookieWindowDays"] as const;

/** The form as the API's input, or the fields a person must fix before it can be sent. */
export function rulesInput(form: RulesForm, message: string): { input: ProgramInput } | { errors: UserError[] } {
  const errors: UserError[] = INTEGER_FIELDS.filter((field) => !/^\d+$/.test(form[field].trim())).map((field) => ({
    field,
    code: "INVALID",
    message,
  }));
  if (errors.length) return { errors };
  const list = (text: string) =>
    text
      .split(/[\s,;]+/)
      .map((item) => item.trim())
      .filter(Boolean);
  return {
    input: {
      name: form.name,
      description: form.description,
      landingUrl: form.landingUrl,
      allowedDomains: list(form.allowedDomains),
      isActive: form.isActive,
      autoApprove: form.autoApprove,
      commissionKind: form.commissionKind,
      flatAmount: form.flatAmount.trim().replace(",", "."),
      perClickAmount: form.perClickAmount.trim().replace(",", "."),
      recurringMode: form.recurringMode,
      recurringMonths: Number(form.recurringMonths),
      cascadeRates: list(form.cascadeRates.replace(/,(?=\d)/g, ".").replace(/%/g, "")),
      holdDays: Number(form.holdDays),
      cookieWindowDays: Number(form.cookieWindowDays),
      attributionModel: form.attributionModel,
      minimumWithdrawal: form.minimumWithdrawal.trim().replace(",", "."),
      maxOrderValue: form.maxOrderValue.trim().replace(",", "."),
      withdrawalMethods: form.withdrawalMethods,
    },
  };
}

function RulesEditor({ program, onSaved }: { program: ProgramInfo; onSaved: () => void }) {
  const { t } = useI18n();
  const [form, setForm] = useState<RulesForm>(() => formOf(program));
  const [saved, setSaved] = useState(false);
  const update = useFormMutation(ProgramUpdateMutation, (data) => data.programUpdate);
  useEffect(() => setForm(formOf(program)), [program]);
  const set =
    <K extends keyof RulesForm>(key: K) =>
    (value: RulesForm[K]) => {
      setSaved(false);
      setForm((current) => ({ ...current, [key]: value }));
    };
  const submit = async () => {
    const built = rulesInput(form, t("error.INVALID_NUMBER"));
    if ("errors" in built) {
      update.setErrors(built.errors);
      return;
    }
    if (await update.run({ id: program.id, input: built.input })) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <Card title={t("settings.rules")} actions={program.isActive ? <Badge tone="success">{t("settings.active")}</Badge> : <Badge>{t("settings.inactive")}</Badge>}>
      <Form onSubmit={submit} errors={update.errors} busy={update.fetching} aria-label={t("settings.rules")}>
        <div className="form-grid">
          <TextField name="name" label={t("settings.name")} value={form.name} onChange={set("name")} />
          <TextField name="landingUrl" type="url" label={t("settings.landingUrl")} value={form.landingUrl} onChange={set("landingUrl")} />
          <TextAreaField name="description" label={t("settings.description")} value={form.description} onChange={set("description")} rows={3} className="span-2" />
          <TextAreaField name="allowedDomains" label={t("settings.allowedDomains")} hint={t("settings.allowedDomainsHint")} value={form.allowedDomains} onChange={set("allowedDomains")} rows={2} className="span-2" />
          <CheckboxField name="isActive" label={t("settings.isActive")} checked={form.isActive} onChange={set("isActive")} />
          <CheckboxField name="autoApprove" label={t("settings.autoApprove")} checked={form.autoApprove} onChange={set("autoApprove")} />
        </div>
        <h3 className="form-section">{t("settings.commission")}</h3>
        <div className="form-grid">
          <SelectField
            name="commissionKind"
            label={t("settings.kind")}
            value={form.commissionKind}
            onChange={(value) => set("commissionKind")(value as CommissionKind)}
            options={(["PERCENTAGE", "FLAT", "PER_CLICK"] as const).map((kind) => ({ value: kind, label: t(`kind.${kind}`) }))}
          />
          {form.commissionKind === "FLAT" ? (
            <TextField name="flatAmount" label={t("settings.flatAmount")} inputMode="decimal" suffix={program.currency} value={form.flatAmount} onChange={set("flatAmount")} />
          ) : null}
          {form.commissionKind === "PER_CLICK" ? (
            <TextField name="perClickAmount" label={t("settings.perClickAmount")} inputMode="decimal" suffix={program.currency} value={form.perClickAmount} onChange={set("perClickAmount")} />
          ) : null}
          <TextField name="cascadeRates" label={t("settings.cascade")} hint={t("settings.cascadeHint")} value={form.cascadeRates} onChange={set("cascadeRates")} />
          <SelectField
            name="recurringMode"
            label={t("settings.recurring")}
            value={form.recurringMode}
            onChange={(value) => set("recurringMode")(value as RecurringMode)}
            options={[
              { value: "NONE", label: t("program.recurringNone") },
              { value: "MONTHS", label: t("settings.recurringMonthsOption") },
              { value: "LIFETIME", label: t("program.recurringLifetime") },
            ]}
          />
          {form.recurringMode === "MONTHS" ? (
            <TextField name="recurringMonths" label={t("settings.recurringMonths")} inputMode="numeric" value={form.recurringMonths} onChange={set("recurringMonths")} />
          ) : null}
        </div>
        <h3 className="form-section">{t("settings.attributionAndPayouts")}</h3>
        <div className="form-grid">
          <TextField name="holdDays" label={t("settings.holdDays")} inputMode="numeric" suffix={t("common.daysUnit")} value={form.holdDays} onChange={set("holdDays")} />
          <TextField name="cookieWindowDays" label={t("settings.cookieDays")} inputMode="numeric" suffix={t("common.daysUnit")} value={form.cookieWindowDays} onChange={set("cookieWindowDays")} />
          <SelectField
            name="attributionModel"
            label={t("program.attribution")}
            value={form.attributionModel}
            onChange={(value) => set("attributionModel")(value as AttributionModel)}
            options={[
              { value: "LAST_CLICK", label: t("program.lastClick") },
              { value: "FIRST_CLICK", label: t("program.firstClick") },
            ]}
          />
          <TextField name="minimumWithdrawal" label={t("program.minimum")} inputMode="decimal" suffix={program.currency} value={form.minimumWithdrawal} onChange={set("minimumWithdrawal")} />
          <TextField name="maxOrderValue" label={t("settings.maxOrderValue")} hint={t("settings.maxOrderValueHint")} inputMode="decimal" suffix={program.currency} value={form.maxOrderValue} onChange={set("maxOrderValue")} />
          <ChoiceGroup
            name="withdrawalMethods"
            type="checkbox"
            legend={t("program.methods")}
            value={form.withdrawalMethods}
            onChange={(value) => set("withdrawalMethods")(value as WithdrawalMethod[])}
            options={(["PAYPAL", "BANK_TRANSFER", "STRIPE"] as const).map((method) => ({ value: method, label: t(`method.${method}`) }))}
          />
        </div>
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{t("common.save")}</SubmitButton>
          <div className="live-region" role="status">
            {saved ? (
              <span className="saved">
                {t("common.saved")}
              </span>
            ) : null}
          </div>
        </div>
      </Form>
    </Card>
  );
}

interface TierRow {
  code: string;
  label: string;
  rate: string;
  isDefault: boolean;
}

function TiersEditor({ program, onSaved }: { program: ProgramInfo; onSaved: () => void }) {
  const { t } = useI18n();
  const [rows, setRows] = useState<TierRow[]>(() => program.tiers.map((tier) => ({ ...tier })));
  const [saved, setSaved] = useState(false);
  const save = useFormMutation(ProgramTiersSetMutation, (data) => data.programTiersSet);
  useEffect(() => setRows(program.tiers.map((tier) => ({ code: tier.code, label: tier.label, rate: tier.rate, isDefault: tier.isDefault }))), [program]);
  const change = (index: number, patch: Partial<TierRow>) => {
    setSaved(false);
    setRows((current) =>
      current.map((row, position) => (position === index ? { ...row, ...patch } : patch.isDefault ? { ...row, isDefault: false } : row)),
    );
  };
  const submit = async () => {
    const tiers = rows.map((row) => ({ ...row, rate: row.rate.trim().replace(",", ".") }));
    if (await save.run({ id: program.id, tiers })) {
      setSaved(true);
      onSaved();
    }
  };
  return (
    <Card title={t("settings.tiers")}>
      <p className="muted">{t("settings.tiersHint")}</p>
      <Form onSubmit={submit} errors={save.errors} busy={save.fetching} aria-label={t("settings.tiers")}>
        <div className="table-wrap" tabIndex={0}>
          <table className="table table-form">
            <thead>
              <tr>
                <th scope="col">{t("settings.tierCode")}</th>
                <th scope="col">{t("settings.tierLabel")}</th>
                <th scope="col">{t("program.rate")}</th>
                <th scope="col">{t("program.defaultTier")}</th>
                <th scope="col">
                  <span className="visually-hidden">{t("common.actions")}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row, index) => (
                <tr key={index}>
                  <td>
                    <input aria-label={`${t("settings.tierCode")} ${index + 1}`} value={row.code} onChange={(event) => change(index, { code: event.target.value })} />
                  </td>
                  <td>
                    <input aria-label={`${t("settings.tierLabel")} ${index + 1}`} value={row.label} onChange={(event) => change(index, { label: event.target.value })} />
                  </td>
                  <td>
                    <div className="input-group">
                      <input aria-label={`${t("program.rate")} ${index + 1}`} inputMode="decimal" value={row.rate} onChange={(event) => change(index, { rate: event.target.value })} />
                      <span className="input-suffix">%</span>
                    </div>
                  </td>
                  <td>
                    <input
                      type="radio"
                      name="default-tier"
                      aria-label={`${t("program.defaultTier")} ${index + 1}`}
                      checked={row.isDefault}
                      onChange={() => change(index, { isDefault: true })}
                    />
                  </td>
                  <td>
                    <button type="button" className="button button-ghost button-small" onClick={() => setRows((current) => current.filter((_, position) => position !== index))}>
                      {t("common.remove")}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <FieldMessages name="tiers" />
        <FormErrors />
        <div className="button-row">
          <button type="button" className="button button-secondary" onClick={() => setRows((current) => [...current, { code: "", label: "", rate: "", isDefault: false }])}>
            {t("settings.addTier")}
          </button>
          <SubmitButton>{t("settings.saveTiers")}</SubmitButton>
          <div className="live-region" role="status">
            {saved ? (
              <span className="saved">
                {t("common.saved")}
              </span>
            ) : null}
          </div>
        </div>
      </Form>
    </Card>
  );
}

function CreateProgram({ onCreated }: { onCreated: () => void }) {
  const { t } = useI18n();
  const { brand } = useSession();
  const [name, setName] = useState("");
  const [landingUrl, setLandingUrl] = useState("");
  const create = useFormMutation(ProgramCreateMutation, (data) => data.programCreate);
  const submit = async () => {
    if (await create.run({ input: { name, landingUrl, currency: brand?.currency ?? "" } })) {
      setName("");
      setLandingUrl("");
      onCreated();
    }
  };
  return (
    <Card title={t("settings.createProgram")}>
      <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("settings.createProgram")}>
        <TextField name="name" label={t("settings.name")} value={name} onChange={setName} />
        <TextField name="landingUrl" type="url" label={t("settings.landingUrl")} value={landingUrl} onChange={setLandingUrl} placeholder="https://shop.example.com/" />
        <FormErrors />
        <SubmitButton>{t("settings.createButton")}</SubmitButton>
      </Form>
    </Card>
  );
}

export default function ProgramSettings() {
  const { t } = useI18n();
  const { programs, result, reexecute } = usePrograms();
  const [selected, setSelected] = useState<string | null>(null);
  const program = programs.find((item) => item.id === selected) ?? programs[0];
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div className="stack">
      <PageHeader
        title={t("settings.title")}
        subtitle={t("settings.subtitle")}
        actions={
          programs.length > 1 ? (
            <label className="inline-select">
              <span>{t("common.program")}</span>
              <select value={program?.id} onChange={(event) => setSelected(event.target.value)}>
                {programs.map((item) => (
                  <option key={item.id} value={item.id}>
                    {item.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null
        }
      />
      <QueryState result={result} retry={refresh} isEmpty={() => programs.length === 0} empty={<><Empty title={t("home.noProgram")} /><CreateProgram onCreated={refresh} /></>}>
        {() =>
          program ? (
            <div className="stack">
              <RulesEditor program={program} onSaved={refresh} />
              <FraudRulesCard programId={program.id} />
              <div className="grid grid-sidebar-right">
                <TiersEditor program={program} onSaved={refresh} />
                <CreateProgram onCreated={refresh} />
              </div>
            </div>
          ) : null
        }
      </QueryState>
    </div>
  );
}
