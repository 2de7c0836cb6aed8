import { useEffect, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { CheckboxField, Form, FormErrors, SelectField, SubmitButton, TextField } from "../../components/form";
import { QueryState } from "../../components/states";
import { Card } from "../../components/ui";
import { graphql } from "../../gql";
import type { FraudAction } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const FraudRulesQuery = graphql(`
  query FraudRules($programId: ID!) {
    fraudRules(programId: $programId) {
      code
      description
      enabled
      action
      threshold
      unit
      countries
      customised
    }
  }
`);

export const FraudRulesUpdateMutation = graphql(`
  mutation FraudRulesUpdate($input: FraudRulesUpdateInput!) {
    fraudRulesUpdate(input: $input) {
      rules {
        code
        enabled
        action
        threshold
        countries
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Draft = { code: string; description: string; unit: string; enabled: boolean; action: FraudAction; threshold: string | null; countries: string };

/** The program's fraud rules, on the program settings page. */
export function FraudRulesCard({ programId }: { programId: string }) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: FraudRulesQuery, variables: { programId } });
  const save = useFormMutation(FraudRulesUpdateMutation, (data) => data.fraudRulesUpdate);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [saved, setSaved] = useState(false);
  useEffect(() => {
    setDrafts(
      (result.data?.fraudRules ?? []).map((rule) => ({
        code: rule.code,
        description: rule.description,
        unit: rule.unit,
        enabled: rule.enabled,
        action: rule.action,
        threshold: rule.threshold === null || rule.threshold === undefined ? null : String(rule.threshold),
        countries: rule.countries.join(", "),
      })),
    );
  }, [result.data]);
  const change = (index: number, patch: Partial<Draft>) => {
    setSaved(false);
    setDrafts((current) => current.map((draft, at) => (at === index ? { ...draft, ...patch } : draft)));
  };
  const submit = async () => {
    const done = await save.run({
      input: {
        programId,
        rules: drafts.map((draft) => ({
          code: draft.code,
          enabled: draft.enabled,
          action: draft.action,
          threshold: draft.threshold,
          countries: draft.code === "country_not_allowed" ? draft.countries.split(",").map((code) => code.trim()).filter(Boolean) : null,
        })),
      },
    });
    if (done) {
      setSaved(true);
      reexecute({ requestPolicy: "network-only" });
    }
  };
  const actions = (["FLAG", "HOLD", "REJECT"] as const).map((value) => ({ value, label: t(`fraud.action.${value}`) }));
  return (
    <Card title={t("fraud.settingsTitle")}>
      <p className="muted">{t("fraud.settingsHint")}</p>
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
        {() => (
          <Form onSubmit={submit} errors={save.errors} busy={save.fetching}>
            {drafts.map((draft, index) => (
              <fieldset key={draft.code} className="fieldset" data-testid="fraud-rule" data-code={draft.code}>
                <legend>
                  <code>{draft.code}</code>
                </legend>
                <p className="muted small">{draft.description}</p>
                <div className="grid grid-3">
                  <CheckboxField name={`rules.${index}.enabled`} label={t("fraud.enabled")} checked={draft.enabled} onChange={(enabled) => change(index, { enabled })} />
                  <SelectField name={`rules.${index}.action`} label={t("fraud.action")} value={draft.action} options={actions} onChange={(value) => change(index, { action: value as FraudAction })} />
                  {draft.threshold !== null ? (
                    <TextField name={`rules.${index}.threshold`} label={t("fraud.threshold")} value={draft.threshold} suffix={draft.unit} inputMode="decimal" onChange={(threshold) => change(index, { threshold })} />
                  ) : null}
                  {draft.code === "country_not_allowed" ? (
                    <TextField name={`rules.${index}.countries`} label={t("fraud.countries")} hint={t("fraud.countriesHint")} value={draft.countries} onChange={(countries) => change(index, { countries })} />
                  ) : null}
                </div>
              </fieldset>
            ))}
            <FormErrors />
            <div className="live-region" role="status">
              {saved ? (
                <p className="muted">
                  {t("fraud.saved")}
                </p>
              ) : null}
            </div>
            <SubmitButton>{t("fraud.save")}</SubmitButton>
          </Form>
        )}
      </QueryState>
    </Card>
  );
}
