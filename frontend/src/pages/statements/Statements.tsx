/**
 * Statements and self-billing invoices on the affiliate's wallet page, and the brand admin's
 * self-billing setting. Download links live a few minutes: a click asks for fresh ones.
 */
import { useEffect, useState } from "react";
import { useClient, useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { CheckboxField, Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState, SkeletonRows } from "../../components/states";
import { Card } from "../../components/ui";
import { graphql } from "../../gql";
import type { MyStatementsQuery as MyStatementsData } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const MyStatementsQuery = graphql(`
  query MyStatements {
    myStatements {
      id
      period
      currency
      openingBalance {
        amount
        currency
      }
      closingBalance {
        amount
        currency
      }
      pdfUrl
      csvUrl
    }
    selfBillingInvoices {
      id
      number
      issuedAt
      vatApplicable
      total {
        amount
        currency
      }
      vatAmount {
        amount
        currency
      }
      pdfUrl
    }
  }
`);

export const StatementSettingsQuery = graphql(`
  query StatementSettings {
    statementSettings {
      selfBillingEnabled
      selfBillingVatRate
    }
  }
`);

export const StatementSettingsUpdateMutation = graphql(`
  mutation StatementSettingsUpdate($input: StatementSettingsInput!) {
    statementSettingsUpdate(input: $input) {
      statementSettings {
        selfBillingEnabled
        selfBillingVatRate
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Pick = (data: MyStatementsData) => string | null | undefined;

function Download({ label, title, pick }: { label: string; title: string; pick: Pick }) {
  const { t } = useI18n();
  const client = useClient();
  const [state, setState] = useState<"idle" | "busy" | "missing">("idle");
  const open = async () => {
    setState("busy");
    const result = await client.query(MyStatementsQuery, {}, { requestPolicy: "network-only" }).toPromise();
    const url = result.data ? pick(result.data) : null;
    if (url) {
      setState("idle");
      window.location.assign(url);
    } else setState("missing");
  };
  return (
    <>
      <button type="button" className="button button-secondary button-small" onClick={() => void open()} disabled={state === "busy"} title={title}>
        {label} <span className="visually-hidden">{title}</span>
      </button>
      <div className="live-region" role="status">
        {state === "missing" ? (
          <span className="muted small">
            {t("statements.linkMissing")}
          </span>
        ) : null}
      </div>
    </>
  );
}

export function StatementsCard() {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({ query: MyStatementsQuery, requestPolicy: "cache-and-network" });
  return (
    <Card title={t("statements.title")}>
      <p className="muted small">{t("statements.hint")}</p>
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })} loading={<SkeletonRows rows={2} />}>
        {(data) => (
          <>
            {data.myStatements.length === 0 ? (
              <Empty title={t("statements.empty")}>{t("statements.emptyHint")}</Empty>
            ) : (
              <div className="table-wrap" tabIndex={0}>
                <table className="table" data-testid="statements">
                  <caption className="visually-hidden">{t("statements.title")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("statements.period")}</th>
                      <th scope="col" className="numeric">
                        {t("statements.opening")}
                      </th>
                      <th scope="col" className="numeric">
                        {t("statements.closing")}
                      </th>
                      <th scope="col">
                        <span className="visually-hidden">{t("statements.pdf")}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.myStatements.map((row) => (
                      <tr key={row.id} data-testid="statement-row">
                        <td>
                          {row.period} · {row.currency}
                        </td>
                        <td className="numeric">{i18n.money(row.openingBalance)}</td>
                        <td className="numeric">{i18n.money(row.closingBalance)}</td>
                        <td className="button-row">
                          {(["pdf", "csv"] as const).map((format) => (
                            <Download
                              key={format}
                              label={t(`statements.${format}`)}
                              title={t("statements.download", { format: format.toUpperCase(), period: `${row.period} ${row.currency}` })}
                              pick={(fresh) => {
                                const found = fresh.myStatements.find((item) => item.id === row.id);
                                return format === "pdf" ? found?.pdfUrl : found?.csvUrl;
                              }}
                            />
                          ))}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {data.selfBillingInvoices.length > 0 ? (
              <div className="table-wrap" tabIndex={0}>
                <table className="table" data-testid="self-billing-invoices">
                  <caption>{t("statements.invoicesTitle")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("statements.invoiceNumber")}</th>
                      <th scope="col">{t("common.date")}</th>
                      <th scope="col" className="numeric">
                        {t("statements.invoiceVat")}
                      </th>
                      <th scope="col" className="numeric">
                        {t("statements.invoiceTotal")}
                      </th>
                      <th scope="col">
                        <span className="visually-hidden">{t("statements.pdf")}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.selfBillingInvoices.map((invoice) => (
                      <tr key={invoice.id}>
                        <td>{invoice.number}</td>
                        <td>{i18n.date(invoice.issuedAt)}</td>
                        <td className="numeric">{invoice.vatApplicable ? i18n.money(invoice.vatAmount) : t("statements.vatNotApplicable")}</td>
                        <td className="numeric">{i18n.money(invoice.total)}</td>
                        <td>
                          <Download
                            label={t("statements.pdf")}
                            title={t("statements.download", { format: "PDF", period: invoice.number })}
                            pick={(fresh) => fresh.selfBillingInvoices.find((item) => item.id === invoice.id)?.pdfUrl}
                          />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            ) : null}
          </>
        )}
      </QueryState>
    </Card>
  );
}

function SettingsForm({ enabled, rate }: { enabled: boolean; rate: string }) {
  const { t } = useI18n();
  const [form, setForm] = useState({ enabled, rate });
  const [saved, setSaved] = useState(false);
  const save = useFormMutation(StatementSettingsUpdateMutation, (data) => data.statementSettingsUpdate);
  useEffect(() => setForm({ enabled, rate }), [enabled, rate]);
  const submit = async () => {
    setSaved(false);
    const input = { selfBillingEnabled: form.enabled, selfBillingVatRate: form.rate.trim().replace(",", ".") };
    if (await save.run({ input })) setSaved(true);
  };
  return (
    <Form onSubmit={submit} errors={save.errors} busy={save.fetching} aria-label={t("statements.settingsTitle")}>
      <CheckboxField
        name="selfBillingEnabled"
        label={t("statements.selfBillingEnabled")}
        checked={form.enabled}
        onChange={(checked) => {
          setSaved(false);
          setForm((current) => ({ ...current, enabled: checked }));
        }}
      />
      <TextField
        name="selfBillingVatRate"
        label={t("statements.selfBillingVatRate")}
        hint={t("statements.selfBillingVatRateHint")}
        inputMode="decimal"
        suffix="%"
        value={form.rate}
        onChange={(value) => {
          setSaved(false);
          setForm((current) => ({ ...current, rate: value }));
        }}
      />
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
  );
}

export function StatementSettingsCard() {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: StatementSettingsQuery, requestPolicy: "cache-and-network" });
  return (
    <Card title={t("statements.settingsTitle")}>
      <p className="muted small">{t("statements.settingsHint")}</p>
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })} loading={<SkeletonRows rows={2} />}>
        {(data) => <SettingsForm enabled={data.statementSettings.selfBillingEnabled} rate={data.statementSettings.selfBillingVatRate} />}
      </QueryState>
    </Card>
  );
}
