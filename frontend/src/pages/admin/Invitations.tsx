import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SelectField, SubmitButton, TextField, useErrorMessage } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { InvitationRole } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const InvitationsQuery = graphql(`
  query Invitations {
    invitations {
      ...InvitationFields
    }
  }

  fragment InvitationFields on Invitation {
    id
    email
    fullName
    role
    status
    inviterEmail
    createdAt
    expiresAt
  }
`);

export const InvitationCreateMutation = graphql(`
  mutation InvitationCreate($input: InvitationCreateInput!) {
    invitationCreate(input: $input) {
      invitation {
        ...InvitationFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const InvitationResendMutation = graphql(`
  mutation InvitationResend($id: ID!) {
    invitationResend(id: $id) {
      invitation {
        ...InvitationFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const InvitationRevokeMutation = graphql(`
  mutation InvitationRevoke($id: ID!) {
    invitationRevoke(id: $id) {
      invitation {
        ...InvitationFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

const TONES = { PENDING: "info", EXPIRED: "warning", ACCEPTED: "success", REVOKED: "neutral" } as const;
const ROLES: InvitationRole[] = ["MERCHANT", "BRAND_ADMIN", "STAFF"];

function InviteForm({ onSent }: { onSent: () => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [fullName, setFullName] = useState("");
  const [role, setRole] = useState<InvitationRole>("MERCHANT");
  const [sent, setSent] = useState<string | null>(null);
  const create = useFormMutation(InvitationCreateMutation, (data) => data.invitationCreate);
  const submit = async () => {
    setSent(null);
    const data = await create.run({ input: { email, fullName, role } });
    const invitation = data?.invitationCreate.invitation;
    if (invitation) {
      setSent(invitation.email);
      setEmail("");
      setFullName("");
      onSent();
    }
  };
  return (
    <Card title={t("invitations.create")}>
      <Form onSubmit={submit} errors={create.errors} busy={create.fetching} aria-label={t("invitations.create")}>
        <div className="form-grid">
          <TextField name="email" type="email" label={t("invitations.email")} value={email} onChange={setEmail} required />
          <TextField name="fullName" label={t("auth.fullName")} value={fullName} onChange={setFullName} />
        </div>
        <SelectField
          name="role"
          label={t("invitations.role")}
          value={role}
          onChange={(value) => setRole(value as InvitationRole)}
          options={ROLES.map((value) => ({ value, label: t(`role.${value}`) }))}
          hint={role === "STAFF" ? t("invitations.staffHint") : undefined}
        />
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{t("invitations.send")}</SubmitButton>
          <div className="live-region" role="status">
            {sent ? (
              <span className="saved" data-testid="invitation-sent">
                {t("invitations.sent", { email: sent })}
              </span>
            ) : null}
          </div>
        </div>
      </Form>
    </Card>
  );
}

/** Brand admins invite merchants, other brand admins and staff; resend or revoke open links. */
export default function Invitations() {
  const i18n = useI18n();
  const { t } = i18n;
  const message = useErrorMessage();
  const [result, reexecute] = useQuery({ query: InvitationsQuery, requestPolicy: "cache-and-network" });
  const resend = useFormMutation(InvitationResendMutation, (data) => data.invitationResend);
  const revoke = useFormMutation(InvitationRevokeMutation, (data) => data.invitationRevoke);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const busy = resend.fetching || revoke.fetching;
  const errors = [...resend.errors, ...revoke.errors];
  return (
    <div className="stack">
      <PageHeader title={t("invitations.title")} subtitle={t("invitations.subtitle")} />
      <InviteForm onSent={refresh} />
      <Card title={t("invitations.list")}>
        {errors.length ? (
          <div className="alert alert-error" role="alert">
            {errors.map((error, index) => (
              <p key={index}>{message(error)}</p>
            ))}
          </div>
        ) : null}
        <QueryState
          result={result}
          retry={refresh}
          isEmpty={(data) => data.invitations.length === 0}
          empty={<Empty title={t("invitations.empty")} />}
        >
          {(data) => (
            <div className="table-wrap" tabIndex={0}>
              <table className="table" data-testid="invitations-table">
                <caption className="visually-hidden">{t("invitations.list")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("invitations.email")}</th>
                    <th scope="col">{t("invitations.role")}</th>
                    <th scope="col">{t("invitations.status")}</th>
                    <th scope="col">{t("invitations.expires")}</th>
                    <th scope="col">{t("common.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.invitations.map((invitation) => (
                    <tr key={invitation.id} data-testid="invitation">
                      <td>
                        <strong>{invitation.fullName || invitation.email}</strong>
                        {invitation.fullName ? <span className="muted small block">{invitation.email}</span> : null}
                      </td>
                      <td>{t(`role.${invitation.role}`)}</td>
                      <td>
                        <Badge tone={TONES[invitation.status]}>{t(`invitations.status.${invitation.status}`)}</Badge>
                      </td>
                      <td>{i18n.date(invitation.expiresAt)}</td>
                      <td>
                        {invitation.status === "PENDING" || invitation.status === "EXPIRED" ? (
                          <div className="button-row">
                            <button type="button" className="button button-secondary button-small" disabled={busy} onClick={() => void resend.run({ id: invitation.id }).then(refresh)}>
                              {t("invitations.resend")}
                            </button>
                            <button type="button" className="button button-ghost button-small" disabled={busy} onClick={() => void revoke.run({ id: invitation.id }).then(refresh)}>
                              {t("invitations.revoke")}
                            </button>
                          </div>
                        ) : null}
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
  );
}
