import { Link } from "react-router";

import { useI18n } from "../i18n";

export default function NotFound() {
  const { t } = useI18n();
  return (
    <div className="state state-empty not-found">
      <p className="state-code" aria-hidden="true">
        404
      </p>
      <h1>{t("state.notFound")}</h1>
      <Link className="button button-primary" to="/">
        {t("nav.home")}
      </Link>
    </div>
  );
}
