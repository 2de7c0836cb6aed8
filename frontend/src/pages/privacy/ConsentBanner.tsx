/** Asks a signed-in user to accept the brand's new terms or privacy policy after it publishes one. */
import { Link } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { useErrorMessage } from "../../components/form";
import { useI18n } from "../../i18n";
import { ConsentAcceptMutation, MyPrivacyQuery } from "./documents";

export function ConsentBanner() {
  const { me, isRoot } = useSession();
  const active = me !== null && !isRoot;
  return active ? <ConsentBannerFor /> : null;
}

function ConsentBannerFor() {
  const { t } = useI18n();
  const message = useErrorMessage();
  const [result, reexecute] = useQuery({ query: MyPrivacyQuery });
  const accept = useFormMutation(ConsentAcceptMutation, (data) => data.consentAccept);
  if (!result.data?.myPrivacy.consentRequired) return null;
  return (
    <div className="alert alert-info consent-banner container" role="region" aria-label={t("consent.bannerTitle")}>
      <strong>{t("consent.bannerTitle")}</strong> {t("consent.bannerText")} <Link to="/terms">{t("nav.terms")}</Link> ·{" "}
      <Link to="/privacy">{t("nav.privacyPolicy")}</Link>{" "}
      <button
        type="button"
        className="button button-small"
        disabled={accept.fetching}
        onClick={async () => {
          if (await accept.run({})) reexecute({ requestPolicy: "network-only" });
        }}
      >
        {t("consent.accept")}
      </button>
      {accept.errors.map((error, index) => (
        <p key={index} role="alert" className="field-error">
          {message(error)}
        </p>
      ))}
    </div>
  );
}
