import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";

import { useFormMutation } from "../../api/mutation";
import { homeFor } from "../../app/routes";
import { useSession } from "../../app/session";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import type { MeFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { TwoFactorLoginStep } from "../security/TwoFactorLoginStep";
import { LoginMutation } from "./documents";

/** Only paths of this site: ``next`` must never send the user elsewhere. */
export function safeNext(next: string | null): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

export default function Login() {
  const { t } = useI18n();
  const { setMe, isRoot } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useFormMutation(LoginMutation, (data) => data.login);
  const [secondStep, setSecondStep] = useState(false);

  const signedIn = (user: MeFieldsFragment) => {
    setMe(user);
    navigate(safeNext(params.get("next")) ?? homeFor(user.role), { replace: true });
  };
  const submit = async () => {
    const data = await login.run({ input: { email, password } });
    if (data?.login.twoFactorRequired) {
      setPassword("");
      setSecondStep(true);
      return;
    }
    const user = data?.login.user;
    if (user) signedIn(user);
  };

  if (secondStep) {
    return (
      <div className="auth-page">
        <div className="card auth-card">
          <TwoFactorLoginStep onSignedIn={signedIn} onStartOver={() => setSecondStep(false)} />
        </div>
      </div>
    );
  }

  return (
    <div className="auth-page">
      <div className="card auth-card">
        <h1>{isRoot ? t("console.loginTitle") : t("auth.loginTitle")}</h1>
        <Form onSubmit={submit} errors={login.errors} busy={login.fetching} aria-label={t("auth.loginTitle")}>
          <TextField name="email" type="email" label={t("auth.email")} value={email} onChange={setEmail} autoComplete="email" required />
          <TextField
            name="password"
            type="password"
            label={t("auth.password")}
            value={password}
            onChange={setPassword}
            autoComplete="current-password"
            required
          />
          <FormErrors />
          <SubmitButton>{t("auth.loginButton")}</SubmitButton>
        </Form>
        {isRoot ? null : (
          <div className="auth-links">
            <Link to="/magic-link">{t("auth.useMagic")}</Link>
            <Link to="/signup">{t("auth.noAccount")}</Link>
          </div>
        )}
      </div>
    </div>
  );
}
