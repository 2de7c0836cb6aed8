import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { homeFor } from "../../app/routes";
import { useSession } from "../../app/session";
import { CheckboxField, Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { QueryState } from "../../components/states";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";

export const InvitationPreviewQuery = graphql(`
  query InvitationPreview($token: String!) {
    invitationPreview(token: $token) {
      email
      role
      fullName
      expiresAt
      accountExists
    }
  }
`);

export const InvitationAcceptMutation = graphql(`
  mutation InvitationAccept($input: InvitationAcceptInput!) {
    invitationAccept(input: $input) {
      user {
        ...MeFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

/**
 * The page an invitation link opens (``/invitation/accept?token=…``, on the brand's host): a new
 * person chooses a password (and name) and is signed in; someone who already has an account
 * signs in first and takes the role.
 */
export default function AcceptInvitation() {
  const { t } = useI18n();
  const { me, setMe } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [result, reexecute] = useQuery({ query: InvitationPreviewQuery, variables: { token }, requestPolicy: "network-only" });
  const [fullName, setFullName] = useState<string | null>(null);
  const [password, setPassword] = useState("");
  const [marketingOptIn, setMarketingOptIn] = useState(false);
  const accept = useFormMutation(InvitationAcceptMutation, (data) => data.invitationAccept);
  const submit = async (withPassword: boolean) => {
    const data = await accept.run({
      input: { token, password: withPassword ? password : null, fullName: fullName ?? "", marketingOptIn: withPassword && marketingOptIn },
    });
    const user = data?.invitationAccept.user;
    if (user) {
      setMe(user);
      navigate(homeFor(user.role), { replace: true });
    }
  };
  const next = `/invitation/accept?${new URLSearchParams({ token }).toString()}`;
  return (
    <div className="auth-page">
      <div className="card auth-card">
        <h1>{t("accept.title")}</h1>
        <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
          {(data) => {
            const invitation = data.invitationPreview;
            if (!invitation) {
              return (
                <div className="alert alert-error" role="alert">
                  <p>{t("accept.invalid")}</p>
                </div>
              );
            }
            const intro = <p>{t("accept.intro", { role: t(`role.${invitation.role}`), email: invitation.email })}</p>;
            if (invitation.accountExists) {
              const signedInAsInvitee = me?.email === invitation.email;
              return (
                <>
                  {intro}
                  {signedInAsInvitee ? (
                    <Form onSubmit={() => void submit(false)} errors={accept.errors} busy={accept.fetching} aria-label={t("accept.title")}>
                      <FormErrors />
                      <SubmitButton>{t("accept.acceptAs")}</SubmitButton>
                    </Form>
                  ) : (
                    <>
                      <p>{t("accept.signInFirst", { email: invitation.email })}</p>
                      <Link className="button button-primary" to={`/login?${new URLSearchParams({ next }).toString()}`}>
                        {t("accept.signIn")}
                      </Link>
                    </>
                  )}
                </>
              );
            }
            return (
              <>
                {intro}
                <Form onSubmit={() => void submit(true)} errors={accept.errors} busy={accept.fetching} aria-label={t("accept.title")}>
                  <TextField name="fullName" label={t("auth.fullName")} value={fullName ?? invitation.fullName} onChange={setFullName} autoComplete="name" />
                  <TextField name="password" type="password" label={t("accept.password")} value={password} onChange={setPassword} autoComplete="new-password" required />
                  <CheckboxField name="marketingOptIn" label={t("consent.marketingSignup")} checked={marketingOptIn} onChange={setMarketingOptIn} />
                  <p className="muted small">
                    {t("consent.signupNote")} <Link to="/terms">{t("nav.terms")}</Link> · <Link to="/privacy">{t("nav.privacyPolicy")}</Link>
                  </p>
                  <FormErrors />
                  <SubmitButton>{t("accept.button")}</SubmitButton>
                </Form>
              </>
            );
          }}
        </QueryState>
      </div>
    </div>
  );
}
