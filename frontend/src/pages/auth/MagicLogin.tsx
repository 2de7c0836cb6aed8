import { useEffect, useRef, useState } from "react";
import { Link, useNavigate, useSearchParams } from "react-router";
import { useMutation } from "urql";

import { asUserErrors, type UserError } from "../../api/errors";
import { homeFor } from "../../app/routes";
import { useSession } from "../../app/session";
import { useErrorMessage } from "../../components/form";
import { Loading } from "../../components/states";
import { useI18n } from "../../i18n";
import { TwoFactorLoginStep } from "../security/TwoFactorLoginStep";
import { MagicLinkLoginMutation } from "./documents";

/** The page a login link opens (``/login/magic?token=…``): signs in once, then moves on. */
export default function MagicLogin() {
  const { t } = useI18n();
  const message = useErrorMessage();
  const { setMe } = useSession();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [, login] = useMutation(MagicLinkLoginMutation);
  const [errors, setErrors] = useState<UserError[]>([]);
  const [secondStep, setSecondStep] = useState(false);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return; // a link works once: never send it twice
    started.current = true;
    void login({ token: params.get("token") ?? "" }).then((result) => {
      const payload = result.data?.magicLinkLogin;
      if (payload?.twoFactorRequired) {
        setSecondStep(true);
      } else if (payload?.user) {
        setMe(payload.user);
        navigate(homeFor(payload.user.role), { replace: true });
      } else {
        setErrors(result.error ? asUserErrors(result.error) : payload?.errors ?? []);
      }
    });
  }, [login, navigate, params, setMe]);

  return (
    <div className="auth-page">
      <div className="card auth-card">
        {secondStep ? (
          <TwoFactorLoginStep
            onSignedIn={(user) => {
              setMe(user);
              navigate(homeFor(user.role), { replace: true });
            }}
            onStartOver={() => navigate("/login", { replace: true })}
          />
        ) : (
          <h1>{t("auth.magicTitle")}</h1>
        )}
        {secondStep ? null : errors.length ? (
          <>
            <div className="alert alert-error" role="alert">
              {errors.map((error, index) => (
                <p key={index}>{message(error)}</p>
              ))}
            </div>
            <Link className="button button-primary" to="/magic-link">
              {t("auth.magicAgain")}
            </Link>
          </>
        ) : (
          <Loading label={t("auth.signingIn")} />
        )}
      </div>
    </div>
  );
}
