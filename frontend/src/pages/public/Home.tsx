import { useEffect } from "react";
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";

import { homeFor } from "../../app/routes";
import { usePageReady } from "../../app/prerender";
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

export const BrandStatsFieldsFragment = graphql(`
  fragment BrandStatsFields on BrandStats {
    affiliates
    activeDeals
    salesLast30Days
    commissionsPaid {
      amount
      currency
    }
  }
`);

export const HomeBrandStatsQuery = graphql(`
  query HomeBrandStats {
    brandStats {
      ...BrandStatsFields
    }
  }
`);

export const HomeBrandStatsSubscription = graphql(`
  subscription HomeBrandStatsUpdated {
    brandStatsUpdated {
      ...BrandStatsFields
    }
  }
`);

/** The brand's social proof: partners, live deals and commissions paid. The query paints the cards
 * at once; the subscription then pushes new numbers (the server checks every 15 s) without reload. */
export function BrandProof({ currency }: { currency: string }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({ query: HomeBrandStatsQuery });
  const [{ data: live }] = useSubscription({ query: HomeBrandStatsSubscription });
  const shown = live ? { ...result, data: { brandStats: live.brandStatsUpdated } } : result;
  return (
    <section className="home-proof" aria-labelledby="stats-title">
      <h2 id="stats-title">{t("home.statsTitle")}</h2>
      <QueryState
        result={shown}
        retry={() => reexecute({ requestPolicy: "network-only" })}
        loading={
          // The cards' own frame while the figures load: they land in place, nothing moves.
          <div className="stat-grid" role="status" aria-label={t("common.loading")}>
            <StatCard label={t("home.statsAffiliates")} value="—" hint={t("home.statsAffiliatesHint")} />
            <StatCard label={t("home.statsDeals")} value="—" hint={t("home.statsSales", { count: "—" })} />
            <StatCard label={t("home.statsPaid")} value="—" hint={t("home.statsPaidHint")} />
          </div>
        }
        isEmpty={(data) => data.brandStats.affiliates === 0 && data.brandStats.activeDeals === 0 && data.brandStats.commissionsPaid.length === 0}
        empty={<Empty title={t("home.statsEmpty")}>{t("home.statsEmptyHint")}</Empty>}
      >
        {({ brandStats: stats }) => {
          const paid = stats.commissionsPaid.length ? stats.commissionsPaid : [{ amount: "0", currency }];
          return (
            <div className="stat-grid">
              <StatCard live testId="stats-affiliates" label={t("home.statsAffiliates")} value={i18n.number(stats.affiliates)} hint={t("home.statsAffiliatesHint")} />
              <StatCard
                live
                testId="stats-deals"
                label={t("home.statsDeals")}
                value={i18n.number(stats.activeDeals)}
                hint={t("home.statsSales", { count: i18n.number(stats.salesLast30Days) })}
              />
              <StatCard
                live
                testId="stats-paid"
                label={t("home.statsPaid")}
                value={paid.map((money) => i18n.money(money)).join(" · ")}
                hint={t("home.statsPaidHint")}
              />
            </div>
          );
        }}
      </QueryState>
    </section>
  );
}

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
  // The same queries as the sections below (urql shares them): the page is ready for the
  // takeover of the prerendered hero once its figures are in (app/prerender.ts).
  const [stats] = useQuery({ query: HomeBrandStatsQuery, pause: !brand });
  const [leaders] = useQuery({ query: HomeLeaderboardQuery, variables: { programId: program?.id ?? "" }, pause: !program });
  const settledResult = (query: { data?: unknown; error?: unknown }) => query.data !== undefined || query.error !== undefined;
  usePageReady(settledResult(result) && (!brand || settledResult(stats)) && (!program || settledResult(leaders)));
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
      {brand ? <BrandProof currency={brand.currency} /> : null}
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
