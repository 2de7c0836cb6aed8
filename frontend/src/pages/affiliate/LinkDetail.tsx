import { useMemo, useState } from "react";
import { Link, useParams } from "react-router";
import { Bar, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { useQuery } from "urql";

import { Empty, QueryState } from "../../components/states";
import { Card, CopyButton, PageHeader, StatCard, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { Granularity, LinkFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { useThemeColors } from "../../theme/useThemeColors";
import { MyLinksQuery, qrUrl } from "./links";
import { SubIdBuilder } from "./SubIdBuilder";

export const LinkStatsQuery = graphql(`
  query LinkStats($linkId: ID!, $since: DateTime!, $granularity: Granularity!) {
    linkStats(linkId: $linkId, since: $since, granularity: $granularity) {
      bucket
      clicks
      uniqueClicks
      conversions
      earnings {
        amount
        currency
      }
    }
  }
`);

type Period = "24h" | "7d" | "30d" | "90d";
const PERIODS: Record<Period, { hours: number; granularity: Granularity }> = {
  "24h": { hours: 24, granularity: "HOUR" },
  "7d": { hours: 24 * 7, granularity: "DAY" },
  "30d": { hours: 24 * 30, granularity: "DAY" },
  "90d": { hours: 24 * 90, granularity: "DAY" },
};

interface Bucket {
  key: string;
  clicks: number;
  uniqueClicks: number;
  conversions: number;
}

/** Every bucket of the period, zero where the server has no row. */
export function fillBuckets(rows: { bucket: string; clicks: number; uniqueClicks: number; conversions: number }[], since: Date, until: Date, granularity: Granularity): Bucket[] {
  const width = granularity === "HOUR" ? 13 : 10;
  const step = granularity === "HOUR" ? 3600_000 : 86_400_000;
  const byKey = new Map(rows.map((row) => [new Date(row.bucket).toISOString().slice(0, width), row]));
  const buckets: Bucket[] = [];
  const start = new Date(since);
  if (granularity === "HOUR") start.setUTCMinutes(0, 0, 0);
  else start.setUTCHours(0, 0, 0, 0);
  for (let time = start.getTime(); time <= until.getTime(); time += step) {
    const key = new Date(time).toISOString().slice(0, width);
    const row = byKey.get(key);
    buckets.push({ key, clicks: row?.clicks ?? 0, uniqueClicks: row?.uniqueClicks ?? 0, conversions: row?.conversions ?? 0 });
  }
  return buckets;
}

function StatsChart({ link, period }: { link: LinkFieldsFragment; period: Period }) {
  const i18n = useI18n();
  const colors = useThemeColors();
  const { since, until } = useMemo(() => {
    const now = new Date();
    return { until: now, since: new Date(now.getTime() - PERIODS[period].hours * 3600_000) };
  }, [period]);
  const granularity = PERIODS[period].granularity;
  const [result] = useQuery({ query: LinkStatsQuery, variables: { linkId: link.id, since: since.toISOString(), granularity } });
  const label = (key: string) =>
    granularity === "HOUR"
      ? new Intl.DateTimeFormat(i18n.locale, { hour: "2-digit", minute: "2-digit" }).format(new Date(`${key}:00:00Z`))
      : new Intl.DateTimeFormat(i18n.locale, { day: "numeric", month: "short" }).format(new Date(`${key}T00:00:00Z`));
  return (
    <QueryState result={result}>
      {(data) => {
        const buckets = fillBuckets(data.linkStats, since, until, granularity);
        if (data.linkStats.length === 0) return <Empty title={i18n.t("links.noClicks")}>{i18n.t("links.noClicksHint")}</Empty>;
        return (
          <div className="chart" role="img" aria-label={i18n.t("links.chartLabel")}>
            <ResponsiveContainer width="100%" height={300}>
              <ComposedChart data={buckets} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
                <CartesianGrid stroke={colors.border} strokeDasharray="3 3" />
                <XAxis dataKey="key" tickFormatter={label} stroke={colors.mutedText} fontSize={12} minTickGap={16} />
                <YAxis allowDecimals={false} stroke={colors.mutedText} fontSize={12} width={40} />
                <Tooltip labelFormatter={(key) => label(String(key))} contentStyle={{ background: colors.surface, border: `1px solid ${colors.border}`, color: colors.text }} />
                <Legend />
                <Bar dataKey="clicks" name={i18n.t("stats.clicks")} fill={colors.primary} radius={[3, 3, 0, 0]} isAnimationActive={false} />
                <Bar dataKey="uniqueClicks" name={i18n.t("stats.uniqueClicks")} fill={colors.accent} radius={[3, 3, 0, 0]} isAnimationActive={false} />
                <Line dataKey="conversions" name={i18n.t("stats.conversions")} stroke={colors.text} dot={false} isAnimationActive={false} />
              </ComposedChart>
            </ResponsiveContainer>
          </div>
        );
      }}
    </QueryState>
  );
}

export default function LinkDetail() {
  const i18n = useI18n();
  const { t } = i18n;
  const { id } = useParams();
  const [period, setPeriod] = useState<Period>("30d");
  const [result] = useQuery({ query: MyLinksQuery, variables: { programId: null, includeArchived: true, after: null } });
  return (
    <QueryState result={result}>
      {(data) => {
        const link = data.myLinks.edges.map((edge) => edge.node).find((node) => node.id === id);
        if (!link) return <Empty title={t("links.notFound")} action={<Link to="/links">{t("nav.links")}</Link>} />;
        return (
          <div className="stack">
            <PageHeader title={link.title || link.code} subtitle={link.targetUrl} actions={<Link to="/links">← {t("nav.links")}</Link>} />
            <div className="stat-grid">
              <StatCard label={t("stats.clicks")} value={i18n.number(link.stats.clicks)} />
              <StatCard label={t("stats.uniqueClicks")} value={i18n.number(link.stats.uniqueClicks)} />
              <StatCard label={t("stats.conversions")} value={i18n.number(link.stats.conversions)} hint={t("stats.rate", { rate: i18n.percent((link.stats.conversionRate * 100).toFixed(2)) })} />
              <StatCard label={t("stats.earnings")} value={i18n.money(link.stats.earnings)} hint={t("stats.epc", { epc: i18n.money(link.stats.earningsPerClick) })} />
            </div>
            <Card
              title={t("links.chartTitle")}
              actions={
                <Tabs
                  label={t("leaderboard.period")}
                  value={period}
                  onChange={setPeriod}
                  options={[
                    { value: "24h", label: t("period.24h") },
                    { value: "7d", label: t("period.7") },
                    { value: "30d", label: t("period.30") },
                    { value: "90d", label: t("period.90") },
                  ]}
                />
              }
            >
              <StatsChart link={link} period={period} />
            </Card>
            <div className="grid grid-2">
              <Card title={t("links.builder")}>
                <SubIdBuilder url={link.url} />
              </Card>
              <Card title={t("links.qr")}>
                <div className="qr-box">
                  <img src={qrUrl(link.code, "svg")} alt={t("links.qrAlt", { url: link.url })} width={180} height={180} />
                  <div className="stack-small">
                    <div className="copy-row">
                      <code className="copy-value">{link.url}</code>
                      <CopyButton text={link.url} />
                    </div>
                    <a className="button button-secondary button-small" href={qrUrl(link.code, "png")} download={`${link.code}-qr.png`}>
                      {t("links.qrPng")}
                    </a>
                    <a className="button button-secondary button-small" href={qrUrl(link.code, "svg")} download={`${link.code}-qr.svg`}>
                      {t("links.qrSvg")}
                    </a>
                  </div>
                </div>
              </Card>
            </div>
          </div>
        );
      }}
    </QueryState>
  );
}
