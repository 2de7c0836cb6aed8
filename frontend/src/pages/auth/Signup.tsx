import { useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useMutation } from "urql";

import { useFormMutation } from "../../api/mutation";
import { homeFor } from "../../app/routes";
import { useSession } from "../../app/session";
import { ChoiceGroup, Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import type { SignupRole } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { usePrograms } from "../public/programs";
import { AffiliateJoinMutation, SignupMutation } from "./documents";

export default function Signup() {
  const { t } = useI18n();
  const { setMe, brand } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const { active } = usePrograms();
  const [fullName, setFullName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<SignupRole>("AFFILIATE");
  const [referralCode, setReferralCode] = useState(params.get("ref") ?? "");
  const signup = useFormMutation(SignupMutation, (data) => data.signup);
  const [, join] = useMutation(AffiliateJoinMutation);

  const submit = async () => {
    const data = await signup.run({ input: { email, password, fullName, role } });
    const user = data?.signup.user;
    if (!user) return;
    // One program: join it now, with the referral code; several: the dashboard lets them choose.
    if (role === "AFFILIATE" && active.length === 1) {
      await join({ programId: active[0].id, referralCode: referralCode.trim() });
    }
    setMe(user);
    navigate(homeFor(user.role), { replace: true });
  };

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
              { value: "MERCHANT", label: t("role.MERCHANT") },
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
