/**
 * The second step of a sign-in (after the password or a login link): a code from the
 * authenticator app or a backup code. Nobody is signed in until it succeeds.
 */
import { useState } from "react";

import { useFormMutation } from "../../api/mutation";
import type { MeFieldsFragment } from "../../gql/graphql";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { useI18n } from "../../i18n";
import { LoginVerifyTwoFactorMutation } from "./documents";

export function TwoFactorLoginStep({ onSignedIn, onStartOver }: { onSignedIn: (user: MeFieldsFragment) => void; onStartOver: () => void }) {
  const { t } = useI18n();
  const [code, setCode] = useState("");
  const verify = useFormMutation(LoginVerifyTwoFactorMutation, (data) => data.loginVerifyTwoFactor);

  const submit = async () => {
    const data = await verify.run({ code });
    const user = data?.loginVerifyTwoFactor.user;
    if (user) onSignedIn(user);
    else setCode("");
  };

  return (
    <>
      <h1>{t("tf.loginTitle")}</h1>
      <p>{t("tf.loginIntro")}</p>
      <Form onSubmit={submit} errors={verify.errors} busy={verify.fetching} aria-label={t("tf.loginTitle")}>
        <TextField
          name="code"
          label={t("tf.code")}
          hint={t("tf.codeHint")}
          value={code}
          onChange={setCode}
          autoComplete="one-time-code"
          inputMode="text"
          autoFocus
          required
        />
        <FormErrors />
        <SubmitButton>{t("tf.verify")}</SubmitButton>
      </Form>
      {verify.errors.some((error) => error.code === "TWO_FACTOR_LOGIN_EXPIRED") ? (
        <button type="button" className="button button-ghost" onClick={onStartOver}>
          {t("tf.startOver")}
        </button>
      ) : null}
    </>
  );
}
