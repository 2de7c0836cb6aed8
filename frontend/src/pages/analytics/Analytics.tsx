/**
 * The analytics dashboard, served from the server's rollups (`analytics` query): totals against
 * the previous period, the series, the click → signup → purchase funnel and the top values per
 * dimension, with a CSV export. Brand admins see the brand, merchants their offers, affiliates
 * their own traffic (the server decides).
 */
import { useMemo, useState } from "react";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useQuery } from "urql";

import { Empty, QueryState } from "../../components/states";
import { Card, PageHeader, StatCard, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { AnalyticsDimension, AnalyticsMetricFieldsFragment, AnalyticsQuery as AnalyticsResult, Granularity } from "../../gql/graphql";
import { isMessageKey, useI18n, type I18n, type MessageKey } from "../../i18n";
import { useThemeColors } from "../../theme/useThemeColors";
import { usePrograms } from "../public/programs";

export const AnalyticsMetricFields = graphql(`
  fragment AnalyticsMetricFields on AnalyticsMetrics {
    clicks
    uniqueClicks
    signups
    conversions
    conversionRate
    revenue {
      amount
      currency
    }
    commissions {
      amount
      currency
    }
    earningsPerClick {
      amount
      currency
    }
  }
`);

export const AnalyticsQuery = graphql(`
  query Analytics($filter: AnalyticsFilter!) {
    analytics(filter: $filter, compareToPrevious: true, top: 8) {
      from
      to
      granularity
      currency
      totals {
        ...AnalyticsMetricFields
      }
      series {
        bucket
        metrics {
          clicks
          uniqueClicks
          signups
          conversions
        }
      }
      funnel {
        name
        count
        rateFromPrevious
        rateFromFirst
      }
      breakdowns {
        dimension
        rows {
          value
          label
          metrics {
            ...AnalyticsMetricFields
          }
        }
      }
      comparison {
        changes {
          clicks
          uniqueClicks
          signups
          conversions
          revenue
          commissions
          earningsPerClick
          conversionRate
        }
      }
    }
  }
`);

type Period = "7d" | "30d" | "90d";
const PERIODS: Record<Period, { days: number; granularity: Granularity }> = {
  "7d": { days: 7, granularity: "HOUR" },
  "30d": { days: 30, granularity: "DAY" },
  "90d": { days: 90, granularity: "DAY" },
};

/** Whole days (UTC), ending tomorrow at midnight: today is included, and the rollups align. */
export function periodBounds(days: number, now: Date = new Date()): { from: string; to: string } {
  const to = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1));
  const from = new Date(to.getTime() - days * 86_400_000);
  return { from: from.toISOString(), to: to.toISOString() };
}

type Changes = NonNullable<AnalyticsResult["analytics"]["comparison"]>["changes"];

/** The change against the previous period; null means the previous period had none. */
function Change({ value, current }: { value: number | null | undefined; current: number | string }) {
  const { locale, t } = useI18n();
  if (value === undefined) return null;
  if (value === null) {
    const nothing = current === 0 || /^0(\.0+)?$/.test(String(current));
    return nothing ? null : <span className="change-up">{t("analytics.new")}</span>;
  }
  const text = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1, signDisplay: "exceptZero" }).format(value);
  return <span className={value > 0 ? "change-up" : value < 0 ? "change-down" : "muted"}>{t("analytics.vsPrevious", { change: text })}</span>;
}

function ratio(i18n: I18n, value: number): string {
  return new Intl.NumberFormat(i18n.locale, { style: "percent", maximumFractionDigits: 1 }).format(value);
}

function Totals({ totals, changes }: { totals: AnalyticsMetricFieldsFragment; changes?: Changes }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <div className="stat-grid stat-grid-4">
      <StatCard label={t("stats.clicks")} value={i18n.number(totals.clicks)} hint={<Change value={changes?.clicks} current={totals.clicks} />} />
      <StatCard label={t("stats.uniqueClicks")} value={i18n.number(totals.uniqueClicks)} hint={<Change value={changes?.uniqueClicks} current={totals.uniqueClicks} />} />
      <StatCard label={t("analytics.signups")} value={i18n.number(totals.signups)} hint={<Change value={changes?.signups} current={totals.signups} />} />
      <StatCard label={t("stats.conversions")} value={i18n.number(totals.conversions)} hint={<Change value={changes?.conversions} current={totals.conversions} />} />
      <StatCard label={t("analytics.revenue")} value={i18n.money(totals.revenue)} hint={<Change value={changes?.revenue} current={totals.revenue.amount} />} />
      <StatCard label={t("analytics.commissions")} value={i18n.money(totals.commissions)} hint={<Change value={changes?.commissions} current={totals.commissions.amount} />} />
      <StatCard label={t("analytics.epc")} value={i18n.money(totals.earningsPerClick)} hint={<Change value={changes?.earningsPerClick} current={totals.earningsPerClick.amount} />} />
      <StatCard label={t("analytics.conversionRate")} value={ratio(i18n, totals.conversionRate)} hint={<Change value={changes?.conversionRate} current={totals.conversionRate} />} />
    </div>
  );
}

function SeriesChart({ series, granularity }: { series: AnalyticsResult["analytics"]["series"]; granularity: Granularity }) {
  const i18n = useI18n();
  const colors = useThemeColors();
  const format = new Intl.DateTimeFormat(
    i18n.locale,
    granularity === "HOUR" ? { weekday: "short", hour: "2-digit" } : { day: "numeric", month: "short" },
  );
  const data = series.map((point) => ({ time: format.format(new Date(point.bucket)), ...point.metrics }));
  return (
    <div className="chart" role="img" aria-label={i18n.t("analytics.chartLabel")}>
      <ResponsiveContainer width="100%" height={300}>
        <ComposedChart data={data} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke={colors.border} strokeDasharray="3 3" />
          <XAxis dataKey="time" stroke={colors.mutedText} fontSize={12} minTickGap={20} />
          <YAxis allowDecimals={false} stroke={colors.mutedText} fontSize={12} width={40} />
          <Tooltip contentStyle={{ background: colors.surface, border: `1px solid ${colors.border}`, color: colors.text }} />
          <Legend />
          <Bar dataKey="clicks" name={i18n.t("stats.clicks")} fill={colors.primary} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Bar dataKey="uniqueClicks" name={i18n.t("stats.uniqueClicks")} fill={colors.accent} radius={[3, 3, 0, 0]} isAnimationActive={false} />
          <Line dataKey="signups" name={i18n.t("analytics.signups")} stroke={colors.mutedText} dot={false} isAnimationActive={false} />
          <Line dataKey="conversions" name={i18n.t("stats.conversions")} stroke={colors.text} dot={false} isAnimationActive={false} />
        </ComposedChart>
      </ResponsiveContainer>
    </div>
  );
}

const FUNNEL_LABELS: Record<string, MessageKey> = {
  clicks: "analytics.funnelClicks",
  signups: "analytics.funnelSignups",
  purchases: "analytics.funnelPurchases",
};

function Funnel({ steps }: { steps: AnalyticsResult["analytics"]["funnel"] }) {
  const i18n = useI18n();
  const top = Math.max(1, ...steps.map((step) => step.count));
  return (
    <ol className="funnel">
      {steps.map((step) => (
        <li key={step.name}>
          <div className="funnel-label">
            <span>{FUNNEL_LABELS[step.name] ? i18n.t(FUNNEL_LABELS[step.name]) : step.name}</span>
            <strong>{i18n.number(step.count)}</strong>
          </div>
          <div className="funnel-bar" aria-hidden="true">
            <span style={{ width: `${Math.max(2, (step.count / top) * 100)}%` }} />
          </div>
          {step.rateFromPrevious !== null ? (
            <p className="muted small">{i18n.t("analytics.fromPrevious", { rate: ratio(i18n, step.rateFromPrevious) })}</p>
          ) : null}
        </li>
      ))}
    </ol>
  );
}

const DIMENSIONS: Record<AnalyticsDimension, MessageKey> = {
  LINK: "analytics.byLink",
  OFFER: "analytics.byOffer",
  AFFILIATE: "analytics.byAffiliate",
  PROGRAM: "analytics.byProgram",
  COUNTRY: "analytics.byCountry",
  DEVICE: "analytics.byDevice",
  BROWSER: "analytics.byBrowser",
  SOURCE: "analytics.bySource",
};

/** A breakdown row's name: the UI's words for the codes it knows (the empty value, "none": a sale
 * by coupon, a click from an unknown country; a device type, a traffic source), else the
 * server's label (a link's title, a product's name). */
export function breakdownLabel(t: I18n["t"], dimension: AnalyticsDimension, row: { value: string; label: string }): string {
  if (row.value) {
    const known = `analytics.value.${dimension}.${row.value}`;
    return isMessageKey(known) ? t(known) : row.label || row.value;
  }
  const key = `analytics.none.${dimension}`;
  return isMessageKey(key) ? t(key) : t("analytics.none");
}

function Breakdown({ breakdown }: { breakdown: AnalyticsResult["analytics"]["breakdowns"][number] }) {
  const i18n = useI18n();
  const { t } = i18n;
  return (
    <Card title={t(DIMENSIONS[breakdown.dimension])}>
      {breakdown.rows.length === 0 ? (
        <p className="muted">{t("analytics.noData")}</p>
      ) : (
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{t(DIMENSIONS[breakdown.dimension])}</caption>
            <thead>
              <tr>
                <th scope="col">{t("analytics.value")}</th>
                <th scope="col" className="numeric">
                  {t("stats.clicks")}
                </th>
                <th scope="col" className="numeric">
                  {t("stats.conversions")}
                </th>
                <th scope="col" className="numeric">
                  {t("analytics.commissions")}
                </th>
              </tr>
            </thead>
            <tbody>
              {breakdown.rows.map((row) => (
                <tr key={row.value || "none"}>
                  <td>{row.value ? breakdownLabel(t, breakdown.dimension, row) : <span className="muted">{breakdownLabel(t, breakdown.dimension, row)}</span>}</td>
                  <td className="numeric">{i18n.number(row.metrics.clicks)}</td>
                  <td className="numeric">{i18n.number(row.metrics.conversions)}</td>
                  <td className="numeric">{i18n.money(row.metrics.commissions)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

export default function Analytics() {
  const i18n = useI18n();
  const { t } = i18n;
  const { programs } = usePrograms();
  const [period, setPeriod] = useState<Period>("30d");
  const [programId, setProgramId] = useState("");
  const { granularity, days } = PERIODS[period];
  const bounds = useMemo(() => periodBounds(days), [days]);
  const filter = { ...bounds, granularity, programId: programId || null };
  const [result, reexecute] = useQuery({ query: AnalyticsQuery, variables: { filter }, requestPolicy: "cache-and-network" });
  const exportUrl = `/analytics/export.csv?${new URLSearchParams({ from: bounds.from, to: bounds.to, granularity, ...(programId ? { programId } : {}) })}`;
  return (
    <div className="stack">
      <PageHeader
        title={t("analytics.title")}
        subtitle={t("analytics.subtitle")}
        actions={
          <a className="button button-secondary" href={exportUrl} download>
            {t("analytics.export")}
          </a>
        }
      />
      <div className="toolbar">
        <Tabs
          label={t("leaderboard.period")}
          value={period}
          onChange={setPeriod}
          options={[
            { value: "7d", label: t("period.7") },
            { value: "30d", label: t("period.30") },
            { value: "90d", label: t("period.90") },
          ]}
        />
        {programs.length > 1 ? (
          <label className="inline-select">
            <span>{t("common.program")}</span>
            <select value={programId} onChange={(event) => setProgramId(event.target.value)}>
              <option value="">{t("common.all")}</option>
              {programs.map((program) => (
                <option key={program.id} value={program.id}>
                  {program.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
      </div>
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
        {({ analytics }) => (
          <>
            <Totals totals={analytics.totals} changes={analytics.comparison?.changes} />
            <Card title={t("analytics.chartTitle")}>
              {analytics.totals.clicks === 0 && analytics.totals.conversions === 0 ? (
                <Empty title={t("analytics.noData")}>{t("analytics.noDataHint")}</Empty>
              ) : (
                <SeriesChart series={analytics.series} granularity={analytics.granularity} />
              )}
            </Card>
            <div className="grid grid-breakdowns">
              <Card title={t("analytics.funnel")}>
                <Funnel steps={analytics.funnel} />
              </Card>
              {analytics.breakdowns.map((breakdown) => (
                <Breakdown key={breakdown.dimension} breakdown={breakdown} />
              ))}
            </div>
          </>
        )}
      </QueryState>
    </div>
  );
}
