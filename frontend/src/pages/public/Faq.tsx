import { Link } from "react-router";

import { usePageReady } from "../../app/prerender";
import { useSession } from "../../app/session";
import { PageHeader } from "../../components/ui";
import { useI18n, type MessageKey } from "../../i18n";
import { usePrograms } from "./programs";

const QUESTIONS: [MessageKey, MessageKey][] = [
  ["faq.q1", "faq.a1"],
  ["faq.q2", "faq.a2"],
  ["faq.q3", "faq.a3"],
  ["faq.q4", "faq.a4"],
  ["faq.q5", "faq.a5"],
  ["faq.q6", "faq.a6"],
];

export default function Faq() {
  const i18n = useI18n();
  const { t } = i18n;
  const { brand } = useSession();
  const { result, active } = usePrograms();
  const program = active[0];
  usePageReady(result.data !== undefined || result.error !== undefined);
  const params = {
    brand: brand?.name ?? "",
    hold: program?.holdDays ?? 30,
    cookie: program?.cookieWindowDays ?? 30,
    minimum: program ? i18n.money(program.minimumWithdrawal) : "—",
  };
  return (
    <div className="faq">
      <PageHeader title={t("faq.title")} subtitle={t("faq.subtitle", params)} />
      <div className="accordion">
        {QUESTIONS.map(([question, answer]) => (
          <details key={question} className="accordion-item">
            <summary>{t(question, params)}</summary>
            <p>{t(answer, params)}</p>
          </details>
        ))}
      </div>
      <p className="muted faq-more">
        {t("faq.more")} <Link to="/program">{t("nav.program")}</Link>
      </p>
    </div>
  );
}
