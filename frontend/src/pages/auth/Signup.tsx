import { useState } from "react";
import { Link, useSearchParams } from "react-router";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { CheckboxField, ChoiceGroup, Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import type { SignupRole } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { usePrograms } from "../public/programs";
import { SignupMutation } from "./documents";

export default function Signup() {
  const { t } = useI18n();
  const { brand } = useSession();
  const [params] = useSearchParams();
  const { active } = usePrograms();
  const [fullName, setFullName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<SignupRole>("AFFILIATE");
  const [referralCode, setReferralCode] = useState(params.get("ref") ?? "");
  const [marketingOptIn, setMarketingOptIn] = useState(false);
  const [sent, setSent] = useState<{ email: string; awaitingApproval: boolean } | null>(null);
  const signup = useFormMutation(SignupMutation, (data) => data.signup);
  const merchantsMaySignUp = brand?.merchantSignup !== "INVITE_ONLY";

  const submit = async () => {
    // The answer is the same whether or not the email has an account: check the inbox. A new
    // affiliate joins the program (the only active one) with the referral code at signup.
    const affiliate = role === "AFFILIATE";
    const data = await signup.run({
      input: {
        email,
        password,
        fullName,
        role,
        referralCode: affiliate ? referralCode.trim() : "",
        programId: affiliate && active.length === 1 ? active[0].id : null,
        marketingOptIn,
      },
    });
    if (data?.signup.ok) setSent({ email, awaitingApproval: data.signup.awaitingApproval });
  };

  if (sent) {
    return (
      <div className="auth-page">
        <div className="card auth-card" role="status">
          <h1>{t("auth.signupSentTitle")}</h1>
          <p>{t("auth.signupSent", { email: sent.email })}</p>
          {sent.awaitingApproval ? <p className="muted">{t("auth.signupAwaitingApproval", { brand: brand?.name ?? "" })}</p> : null}
          <div className="auth-links">
            <Link to="/login">{t("auth.haveAccount")}</Link>
          </div>
        </div>
      </div>
    );
  }

  return (
    <div className="auth-page">
      <div className="card auth-card">
        <h1>{t("auth.signupTitle", { brand: brand?.name ?? "" })}</h1>
        <p className="muted">{t("auth.signupLead")}</p>
        <Form onSubmit={submit} errors={signup.errors} busy={signup.fetching} aria-label={t("auth.signupTitle", { brand: "" })}>
          <TextField name="fullName" label={t("auth.fullName")} value={fullName} onChange={setFullName} autoComplete="name" />
          <TextField name="email" type="email" label={t("auth.email")} value={email} onChange={setEmail} autoComplete="email" required />
          <TextField
            name="password"
            type="password"
            label={t("auth.password")}
            hint={t("auth.passwordHint")}
            value={password}
            onChange={setPassword}
            autoComplete="new-password"
            required
          />
          <ChoiceGroup
            name="role"
            type="radio"
            legend={t("auth.iAm")}
            value={[role]}
            onChange={(value) => setRole(value[0] as SignupRole)}
            options={[
              { value: "AFFILIATE", label: t("role.AFFILIATE") },
              ...(merchantsMaySignUp ? [{ value: "MERCHANT", label: t("role.MERCHANT") }] : []),
              { value: "CUSTOMER", label: t("role.CUSTOMER") },
            ]}
          />
          {role === "AFFILIATE" ? (
            <TextField
              name="referralCode"
              label={t("auth.referralCode")}
              hint={t("auth.referralHint")}
              value={referralCode}
              onChange={setReferralCode}
            />
          ) : null}
          <CheckboxField name="marketingOptIn" label={t("consent.marketingSignup")} checked={marketingOptIn} onChange={setMarketingOptIn} />
          <p className="muted">
            {t("consent.signupNote")} <Link to="/terms">{t("nav.terms")}</Link> · <Link to="/privacy">{t("nav.privacyPolicy")}</Link>
          </p>
          <FormErrors />
          <SubmitButton>{t("auth.signupButton")}</SubmitButton>
        </Form>
        <div className="auth-links">
          <Link to="/login">{t("auth.haveAccount")}</Link>
        </div>
      </div>
    </div>
  );
}
