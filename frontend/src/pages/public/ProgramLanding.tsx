import { Link } from "react-router";

import { usePageReady } from "../../app/prerender";
import { useSession } from "../../app/session";
import { Card, PageHeader } from "../../components/ui";
import { Empty, QueryState } from "../../components/states";
import { useI18n } from "../../i18n";
import { commissionHeadline, usePrograms, type ProgramInfo } from "./programs";

function ProgramDetails({ program }: { program: ProgramInfo }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { me } = useSession();
  return (
    <article className="program" aria-labelledby={`program-${program.id}`}>
      <div className="program-hero card">
        <div>
          <h2 id={`program-${program.id}`}>{program.name}</h2>
          <p className="lead">{program.description}</p>
        </div>
        <p className="program-headline">{commissionHeadline(program, i18n)}</p>
        {me ? null : (
          <Link className="button button-primary button-large" to="/signup">
            {t("home.join")}
          </Link>
        )}
      </div>
      <div className="grid grid-2">
        {program.commissionKind === "PERCENTAGE" ? (
          <Card title={t("program.tiers")}>
            <table className="table">
              <caption className="visually-hidden">{t("program.tiers")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("program.tier")}</th>
                  <th scope="col" className="numeric">
                    {t("program.rate")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {program.tiers.map((tier) => (
                  <tr key={tier.code}>
                    <td>
                      {tier.label} {tier.isDefault ? <span className="muted">· {t("program.defaultTier")}</span> : null}
                    </td>
                    <td className="numeric">{i18n.percent(tier.rate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Card>
        ) : null}
        <Card title={t("program.rules")}>
          <dl className="facts">
            <div>
              <dt>{t("program.hold")}</dt>
              <dd>{t("common.days", { count: program.holdDays })}</dd>
            </div>
            <div>
              <dt>{t("program.cookie")}</dt>
              <dd>{t("common.days", { count: program.cookieWindowDays })}</dd>
            </div>
            <div>
              <dt>{t("program.attribution")}</dt>
              <dd>{t(program.attributionModel === "FIRST_CLICK" ? "program.firstClick" : "program.lastClick")}</dd>
            </div>
            <div>
              <dt>{t("program.recurring")}</dt>
              <dd>
                {program.recurringMode === "NONE"
                  ? t("program.recurringNone")
                  : program.recurringMode === "LIFETIME"
                    ? t("program.recurringLifetime")
                    : t("program.recurringMonths", { count: program.recurringMonths })}
              </dd>
            </div>
            {program.cascadeRates.length ? (
              <div>
                <dt>{t("program.cascade")}</dt>
                <dd>
                  {program.cascadeRates
                    .map((rate, index) => t("program.cascadeLevel", { level: index + 1, rate: i18n.percent(rate) }))
                    .join(" · ")}
                </dd>
              </div>
            ) : null}
            <div>
              <dt>{t("program.minimum")}</dt>
              <dd>{i18n.money(program.minimumWithdrawal)}</dd>
            </div>
            <div>
              <dt>{t("program.methods")}</dt>
              <dd>{program.withdrawalMethods.map((method) => t(`method.${method}`)).join(", ")}</dd>
            </div>
          </dl>
        </Card>
      </div>
    </article>
  );
}

export default function ProgramLanding() {
  const { t } = useI18n();
  const { brand } = useSession();
  const { result, active } = usePrograms();
  usePageReady(result.data !== undefined || result.error !== undefined);
  return (
    <div>
      <PageHeader title={t("program.title", { brand: brand?.name ?? "" })} subtitle={t("program.subtitle")} />
      <QueryState result={result} isEmpty={() => active.length === 0} empty={<Empty title={t("home.noProgram")} />}>
        {() => (
          <div className="stack">
            {active.map((program) => (
              <ProgramDetails key={program.id} program={program} />
            ))}
          </div>
        )}
      </QueryState>
    </div>
  );
}
