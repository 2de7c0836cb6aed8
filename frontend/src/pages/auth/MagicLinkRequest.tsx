import { useState } from "react";
import { Link } from "react-router";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { useI18n } from "../../i18n";
import { MagicLinkRequestMutation } from "./documents";

export default function MagicLinkRequest() {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const request = useFormMutation(MagicLinkRequestMutation, (data) => data.magicLinkRequest);
  const submit = async () => {
    const data = await request.run({ email });
    if (data?.magicLinkRequest.ok) setSent(true);
  };
  return (
    <div className="auth-page">
      <div className="card auth-card">
        <h1>{t("auth.magicTitle")}</h1>
        {sent ? (
          <div className="alert alert-success" role="status">
            <p>{t("auth.magicSent", { email })}</p>
          </div>
        ) : (
          <>
            <p className="muted">{t("auth.magicLead")}</p>
            <Form onSubmit={submit} errors={request.errors} busy={request.fetching} aria-label={t("auth.magicTitle")}>
              <TextField name="email" type="email" label={t("auth.email")} value={email} onChange={setEmail} autoComplete="email" required />
              <FormErrors />
              <SubmitButton>{t("auth.magicButton")}</SubmitButton>
            </Form>
          </>
        )}
        <div className="auth-links">
          <Link to="/login">{t("auth.backToLogin")}</Link>
        </div>
      </div>
    </div>
  );
}
