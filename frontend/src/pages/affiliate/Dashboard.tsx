import { useEffect, useState } from "react";
import { Link } from "react-router";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useQuery, useSubscription } from "urql";

import { Card, CopyButton, PageHeader, StatCard } from "../../components/ui";
import { Empty } from "../../components/states";
import { applyAffiliateStats, type AffiliateCounters } from "../../api/liveStats";
import { graphql } from "../../gql";
import type { AffiliateStatsLiveSubscription } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { useThemeColors } from "../../theme/useThemeColors";
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

interface Point {
  time: number;
  clicks: number;
  uniqueClicks: number;
  conversions: number;
}

const MAX_POINTS = 120;
/** How many of the latest readings the chart's text alternative lists. */
const CHART_TABLE_ROWS = 10;

function LiveChart({ points }: { points: Point[] }) {
  const i18n = useI18n();
  const colors = useThemeColors();
  const time = new Intl.DateTimeFormat(i18n.locale, { timeStyle: "medium" });
  if (points.length < 2) {
    return <Empty title={i18n.t("dashboard.chartWaiting")}>{i18n.t("dashboard.chartWaitingHint")}</Empty>;
  }
  // The drawing is for the eyes; screen readers get the same numbers as a table (the latest
  // readings, newest first), which a role="img" label alone could not carry.
  const latest = points.slice(-CHART_TABLE_ROWS).reverse();
  return (
    <figure className="chart-figure">
      <div className="chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={260}>
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke={colors.border} strokeDasharray="3 3" />
            <XAxis
              dataKey="time"
              type="number"
              domain={["dataMin", "dataMax"]}
              tickFormatter={(value: number) => time.format(value)}
              stroke={colors.mutedText}
              fontSize={12}
            />
            <YAxis allowDecimals={false} stroke={colors.mutedText} fontSize={12} width={40} />
            <Tooltip
              labelFormatter={(value) => time.format(Number(value))}
              contentStyle={{ background: colors.surface, border: `1px solid ${colors.border}`, color: colors.text }}
            />
            <Legend />
            <Line type="stepAfter" dataKey="clicks" name={i18n.t("stats.clicks")} stroke={colors.primary} strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line type="stepAfter" dataKey="uniqueClicks" name={i18n.t("stats.uniqueClicks")} stroke={colors.accent} strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line type="stepAfter" dataKey="conversions" name={i18n.t("stats.conversions")} stroke={colors.text} strokeWidth={1} dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <table className="visually-hidden" data-testid="chart-table">
        <caption>{i18n.t("dashboard.chartLabel")}</caption>
        <thead>
          <tr>
            <th scope="col">{i18n.t("dashboard.chartTime")}</th>
            <th scope="col">{i18n.t("stats.clicks")}</th>
            <th scope="col">{i18n.t("stats.uniqueClicks")}</th>
            <th scope="col">{i18n.t("stats.conversions")}</th>
          </tr>
        </thead>
        <tbody>
          {latest.map((point) => (
            <tr key={point.time}>
              <th scope="row">{time.format(point.time)}</th>
              <td>{i18n.number(point.clicks)}</td>
              <td>{i18n.number(point.uniqueClicks)}</td>
              <td>{i18n.number(point.conversions)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
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
        <LiveChart points={points} />
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
