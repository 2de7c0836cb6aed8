import { useEffect } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";

import { homeFor } from "../../app/routes";
import { useSession } from "../../app/session";
import { Card, StatCard } from "../../components/ui";
import { Empty, QueryState, SkeletonRows } from "../../components/states";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";
import { Podium } from "./Leaderboard";
import { commissionHeadline, usePrograms, type ProgramInfo } from "./programs";

export const HomeLeaderboardQuery = graphql(`
  query HomeLeaderboard($programId: ID!) {
    leaderboard(programId: $programId, metric: EARNINGS, period: LAST_30_DAYS, limit: 3) {
      rank
      displayName
      maskedEmail
      value
      isMe
    }
  }
`);

const REFRESH_MS = 30_000;

/** Live social proof: the program's top partners of the month, refreshed while the page is open. */
function TopPartners({ program }: { program: ProgramInfo }) {
  const i18n = useI18n();
  const [result, reexecute] = useQuery({ query: HomeLeaderboardQuery, variables: { programId: program.id } });
  useEffect(() => {
    const timer = window.setInterval(() => reexecute({ requestPolicy: "network-only" }), REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [reexecute]);
  const top = result.data?.leaderboard[0];
  return (
    <section className="home-proof" aria-labelledby="proof-title">
      <h2 id="proof-title">{i18n.t("home.proofTitle")}</h2>
      <div className="stat-grid">
        <StatCard label={i18n.t("home.topRate")} value={commissionHeadline(program, i18n)} />
        {top ? (
          <StatCard
            live
            testId="top-earnings"
            label={i18n.t("home.topEarner")}
            value={i18n.money({ amount: top.value, currency: program.currency })}
            hint={i18n.t("home.last30")}
          />
        ) : null}
        <StatCard label={i18n.t("home.holdDays")} value={i18n.t("common.days", { count: program.holdDays })} hint={i18n.t("home.holdHint")} />
        <StatCard label={i18n.t("home.minimum")} value={i18n.money(program.minimumWithdrawal)} />
      </div>
      <QueryState result={result} loading={<SkeletonRows rows={2} />} isEmpty={(data) => data.leaderboard.length === 0} empty={null}>
        {(data) => (
          <Card title={i18n.t("leaderboard.title")} actions={<Link to="/leaderboard">{i18n.t("home.seeLeaderboard")}</Link>}>
            <Podium entries={data.leaderboard} currency={program.currency} metric="EARNINGS" />
          </Card>
        )}
      </QueryState>
    </section>
  );
}

export default function Home() {
  const i18n = useI18n();
  const { t } = i18n;
  const { brand, me } = useSession();
  const { result, active } = usePrograms();
  const program = active[0];
  return (
    <div className="home">
      <section className="hero">
        <p className="eyebrow">{t("home.eyebrow")}</p>
        <h1>{t("home.title", { brand: brand?.name ?? "" })}</h1>
        <p className="lead">{program?.description || t("home.lead")}</p>
        <div className="hero-actions">
          {me ? (
            <Link className="button button-primary button-large" to={homeFor(me.role)}>
              {t("home.openDashboard")}
            </Link>
          ) : (
            <>
              <Link className="button button-primary button-large" to="/signup">
                {t("home.join")}
              </Link>
              <Link className="button button-secondary button-large" to="/program">
                {t("home.learnMore")}
              </Link>
            </>
          )}
        </div>
      </section>
      <QueryState
        result={result}
        isEmpty={() => active.length === 0}
        empty={<Empty title={t("home.noProgram")}>{t("home.noProgramHint")}</Empty>}
      >
        {() => (program ? <TopPartners program={program} /> : null)}
      </QueryState>
      <section className="steps" aria-labelledby="steps-title">
        <h2 id="steps-title">{t("home.howTitle")}</h2>
        <ol className="step-list">
          <li>
            <h3>{t("home.step1")}</h3>
            <p className="muted">{t("home.step1Text")}</p>
          </li>
          <li>
            <h3>{t("home.step2")}</h3>
            <p className="muted">{t("home.step2Text")}</p>
          </li>
          <li>
            <h3>{t("home.step3")}</h3>
            <p className="muted">{t("home.step3Text")}</p>
          </li>
        </ol>
      </section>
    </div>
  );
}
