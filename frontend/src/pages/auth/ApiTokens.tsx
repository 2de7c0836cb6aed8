import { useState } from "react";
import { useMutation, useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useFreshTwoFactor } from "../security/FreshTwoFactor";
import { ChoiceGroup, Form, FormErrors, SelectField, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, CopyButton, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { ApiTokenScope } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const ApiTokensQuery = graphql(`
  query ApiTokens {
    apiTokens {
      id
      name
      prefix
      scopes
      createdAt
      lastUsedAt
      expiresAt
      revokedAt
      isActive
    }
  }
`);

export const ApiTokenCreateMutation = graphql(`
  mutation ApiTokenCreate($input: ApiTokenCreateInput!) {
    apiTokenCreate(input: $input) {
      token
      apiToken {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ApiTokenRevokeMutation = graphql(`
  mutation ApiTokenRevoke($id: ID!) {
    apiTokenRevoke(id: $id) {
      apiToken {
        id
        isActive
        revokedAt
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export default function ApiTokens() {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({ query: ApiTokensQuery });
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>(["READ"]);
  const [expires, setExpires] = useState("90");
  const [secret, setSecret] = useState<string | null>(null);
  const create = useFormMutation(ApiTokenCreateMutation, (data) => data.apiTokenCreate);
  const [, revoke] = useMutation(ApiTokenRevokeMutation);

  const submit = async () => {
    const data = await create.run({
      input: { name, scopes: scopes as ApiTokenScope[], expiresInDays: expires ? Number(expires) : null },
    });
    if (data?.apiTokenCreate.token) {
      setSecret(data.apiTokenCreate.token);
      setName("");
      reexecute({ requestPolicy: "network-only" });
    }
  };

  const fresh = useFreshTwoFactor(create.errors, submit);
  return (
    <div>
      {fresh.dialog}
      <PageHeader title={t("tokens.title")} subtitle={t("tokens.subtitle")} />
      <div className="grid grid-sidebar">
        <Card title={t("tokens.create")}>
          <div className="live-region" role="status">
            {secret ? (
              <div className="alert alert-success token-secret">
                <p>{t("tokens.shownOnce")}</p>
                <code className="secret" data-testid="token-secret">
                  {secret}
                </code>
                <CopyButton text={secret} />
              </div>
            ) : null}
          </div>
          <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("tokens.create")}>
            <TextField name="name" label={t("tokens.name")} value={name} onChange={setName} hint={t("tokens.nameHint")} />
            <ChoiceGroup
              name="scopes"
              type="checkbox"
              legend={t("tokens.scopes")}
              value={scopes}
              onChange={setScopes}
              options={[
                { value: "READ", label: t("tokens.read") },
                { value: "WRITE", label: t("tokens.write") },
              ]}
            />
            <SelectField
              name="expiresInDays"
              label={t("tokens.expires")}
              value={expires}
              onChange={setExpires}
              options={[
                { value: "30", label: t("common.days", { count: 30 }) },
                { value: "90", label: t("common.days", { count: 90 }) },
                { value: "365", label: t("common.days", { count: 365 }) },
                { value: "", label: t("tokens.never") },
              ]}
            />
            <FormErrors />
            <SubmitButton>{t("tokens.createButton")}</SubmitButton>
          </Form>
        </Card>
        <Card title={t("tokens.list")}>
          <QueryState result={result} isEmpty={(data) => data.apiTokens.length === 0} empty={<Empty title={t("tokens.empty")} />}>
            {(data) => (
              <div className="table-wrap" tabIndex={0}>
                <table className="table">
                  <caption className="visually-hidden">{t("tokens.list")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("tokens.name")}</th>
                      <th scope="col">{t("tokens.scopes")}</th>
                      <th scope="col">{t("tokens.lastUsed")}</th>
                      <th scope="col">{t("tokens.expires")}</th>
                      <th scope="col">
                        <span className="visually-hidden">{t("common.actions")}</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {data.apiTokens.map((token) => (
                      <tr key={token.id}>
                        <td>
                          <strong>{token.name}</strong> <code className="muted">{token.prefix}…</code>
                        </td>
                        <td>{token.scopes.join(", ")}</td>
                        <td>{i18n.dateTime(token.lastUsedAt)}</td>
                        <td>{token.expiresAt ? i18n.date(token.expiresAt) : t("tokens.never")}</td>
                        <td className="actions">
                          {token.isActive ? (
                            <button
                              type="button"
                              className="button button-danger button-small"
                              onClick={() => void revoke({ id: token.id }).then(() => reexecute({ requestPolicy: "network-only" }))}
                            >
                              {t("tokens.revoke")}
                            </button>
                          ) : (
                            <Badge>{token.revokedAt ? t("tokens.revoked") : t("tokens.expired")}</Badge>
                          )}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </QueryState>
        </Card>
      </div>
    </div>
  );
}
