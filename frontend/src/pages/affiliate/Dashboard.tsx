import { lazy, Suspense, useEffect, useState } from "react";
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";

import { Card, CopyButton, PageHeader, StatCard } from "../../components/ui";
import { Empty } from "../../components/states";
import { applyAffiliateStats, type AffiliateCounters } from "../../api/liveStats";
import { graphql } from "../../gql";
import type { AffiliateStatsLiveSubscription } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import type { Point } from "./LiveChart";
import { AffiliateStatsSubscription } from "./links";
import { MembershipGate, type MembershipContext } from "./membership";

export const DashboardQuery = graphql(`
  query Dashboard($programId: ID!) {
    myStats(programId: $programId) {
      clicks
      uniqueClicks
      conversions
      earnings {
        amount
        currency
      }
    }
    myBalance(programId: $programId) {
      pending {
        amount
        currency
      }
      available {
        amount
        currency
      }
      reserved {
        amount
        currency
      }
      paid {
        amount
        currency
      }
    }
  }
`);

const MAX_POINTS = 120;

const LiveChart = lazy(() => import("./LiveChart"));

/** The chart, or a word while fewer than two points exist; the space is held while it loads. */
function Chart({ points }: { points: Point[] }) {
  const { t } = useI18n();
  if (points.length < 2) {
    return <Empty title={t("dashboard.chartWaiting")}>{t("dashboard.chartWaitingHint")}</Empty>;
  }
  return (
    <Suspense fallback={<div className="chart" aria-busy="true" />}>
      <LiveChart points={points} />
    </Suspense>
  );
}

function Overview({ membership, program, picker }: MembershipContext) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result] = useQuery({ query: DashboardQuery, variables: { programId: program.id }, requestPolicy: "cache-and-network" });
  const [points, setPoints] = useState<Point[]>([]);
  // The snapshot, then each tick's delta applied to it (api/liveStats): no re-read per tick.
  const [{ data: live }] = useSubscription<AffiliateStatsLiveSubscription, AffiliateCounters>(
    { query: AffiliateStatsSubscription, variables: { programId: program.id } },
    (current, message) => applyAffiliateStats(current ?? null, message.affiliateStats),
  );
  useEffect(() => {
    const stats = live;
    if (!stats) return;
    const now = Date.now();
    const point = { time: now, clicks: stats.clicks, uniqueClicks: stats.uniqueClicks, conversions: stats.conversions };
    // The first value starts a line at once (a second before now), so the chart shows from the start.
    setPoints((current) => (current.length ? [...current, point] : [{ ...point, time: now - 1000 }, point]).slice(-MAX_POINTS));
  }, [live]);
  // Keep the line moving while nothing happens, so "now" is always on the chart.
  useEffect(() => {
    const timer = window.setInterval(() => {
      setPoints((current) => (current.length ? [...current, { ...current[current.length - 1], time: Date.now() }].slice(-MAX_POINTS) : current));
    }, 5000);
    return () => window.clearInterval(timer);
  }, []);
  const stats = live ?? result.data?.myStats;
  const balance = result.data?.myBalance;
  const inviteUrl = `${window.location.origin}/signup?ref=${encodeURIComponent(membership.referralCode)}`;
  const value = (shown: string | undefined) => shown ?? "…";
  return (
    <div className="stack">
      <PageHeader
        title={t("dashboard.title")}
        subtitle={t("dashboard.subtitle", { program: program.name, tier: membership.tier.label, rate: i18n.percent(membership.tier.rate) })}
        actions={
          <>
            {picker}
            <Link className="button button-primary" to="/links">
              {t("links.create")}
            </Link>
          </>
        }
      />
      <div className="stat-grid" aria-label={t("dashboard.live")}>
        <StatCard live testId="stat-clicks" label={t("stats.clicks")} value={value(stats ? i18n.number(stats.clicks) : undefined)} />
        <StatCard live testId="stat-unique" label={t("stats.uniqueClicks")} value={value(stats ? i18n.number(stats.uniqueClicks) : undefined)} />
        <StatCard live testId="stat-conversions" label={t("stats.conversions")} value={value(stats ? i18n.number(stats.conversions) : undefined)} />
        <StatCard live testId="stat-earnings" label={t("stats.earnings")} value={value(stats ? i18n.money(stats.earnings) : undefined)} />
      </div>
      <Card title={t("dashboard.chartTitle")} actions={<span className="badge badge-success">{t("dashboard.live")}</span>}>
        <Chart points={points} />
      </Card>
      <div className="grid grid-2">
        <Card title={t("wallet.balance")} actions={<Link to="/wallet">{t("wallet.withdraw")}</Link>}>
          <div className="stat-grid stat-grid-compact">
            <StatCard testId="balance-available" label={t("wallet.available")} value={value(balance ? i18n.money(balance.available) : undefined)} />
            <StatCard label={t("wallet.pending")} value={value(balance ? i18n.money(balance.pending) : undefined)} hint={t("wallet.pendingHint", { days: program.holdDays })} />
            <StatCard label={t("wallet.paid")} value={value(balance ? i18n.money(balance.paid) : undefined)} />
          </div>
        </Card>
        <Card title={t("dashboard.invite")}>
          <p className="muted">{t("dashboard.inviteHint")}</p>
          <div className="copy-row">
            <code className="copy-value">{inviteUrl}</code>
            <CopyButton text={inviteUrl} />
          </div>
          <p className="muted small">
            {t("dashboard.referralCode")}: <code>{membership.referralCode}</code>
          </p>
        </Card>
      </div>
    </div>
  );
}

export default function Dashboard() {
  return <MembershipGate>{(context) => <Overview {...context} />}</MembershipGate>;
}
