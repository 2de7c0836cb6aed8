/**
 * A merchant's sales (paid order lines, the platform fee and what is theirs) and, from the
 * analytics rollups, what each affiliate brought against what they earned: the ROI per affiliate.
 */
import { useMemo, useState } from "react";
import { useQuery } from "urql";

import "../../components/marketplace/marketplace.css";
import { Empty, ErrorState, QueryState, SkeletonRows } from "../../components/states";
import { Card, PageHeader, StatCard, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";
import { settled } from "../../components/marketplace/query";
import MerchantLiveStats from "./LiveStats";

export const MerchantSalesQuery = graphql(`
  query MerchantSales($after: String) {
    merchantSales(first: 25, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          orderNumber
          paidAt
          orderStatus
          productId
          title
          quantity
          lineTotal {
            amount
            currency
          }
          platformFeeRate
          platformFee {
            amount
            currency
          }
          net {
            amount
            currency
          }
          refundedAmount {
            amount
            currency
          }
          vouchersRedeemed
          vouchersValid
        }
      }
    }
  }
`);

export const MerchantAffiliateRoiQuery = graphql(`
  query MerchantAffiliateRoi($filter: AnalyticsFilter!) {
    analytics(filter: $filter, top: 25) {
      currency
      totals {
        clicks
        conversions
        revenue {
          amount
          currency
        }
        commissions {
          amount
          currency
        }
      }
      breakdowns {
        dimension
        rows {
          value
          label
          metrics {
            clicks
            uniqueClicks
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
        }
      }
    }
  }
`);

/**
 * Return on what affiliates were paid: (revenue − commissions) / commissions, as a ratio (1.5 is
 * +150 %). Null without commissions. A display ratio, not money: a float is fine here.
 */
export function roi(revenue: string, commissions: string): number | null {
  const paid = Number(commissions);
  if (!(paid > 0)) return null;
  return (Number(revenue) - paid) / paid;
}

const PERIODS = [7, 30, 90, 365] as const;

function Roi() {
  const i18n = useI18n();
  const { t } = i18n;
  const [days, setDays] = useState<(typeof PERIODS)[number]>(30);
  const filter = useMemo(() => {
    const to = new Date();
    to.setUTCHours(0, 0, 0, 0);
    to.setUTCDate(to.getUTCDate() + 1);
    const from = new Date(to.getTime() - days * 86_400_000);
    return { from: from.toISOString(), to: to.toISOString(), granularity: "DAY" as const };
  }, [days]);
  const [result, reexecute] = useQuery({ query: MerchantAffiliateRoiQuery, variables: { filter }, requestPolicy: "cache-and-network" });
  const rows = result.data?.analytics.breakdowns.find((breakdown) => breakdown.dimension === "AFFILIATE")?.rows ?? [];
  const totals = result.data?.analytics.totals;
  const totalRoi = totals ? roi(totals.revenue.amount, totals.commissions.amount) : null;
  return (
    <Card
      title={t("sales.roiTitle")}
      actions={
        <Tabs
          label={t("sales.period")}
          value={String(days)}
          onChange={(value) => setDays(Number(value) as (typeof PERIODS)[number])}
          options={PERIODS.map((period) => ({ value: String(period), label: t("sales.lastDays", { count: period }) }))}
        />
      }
    >
      <QueryState result={settled(result)} retry={() => reexecute({ requestPolicy: "network-only" })} loading={<SkeletonRows rows={3} />}>
        {() => (
          <div className="stack-tight">
            {totals ? (
              <div className="stat-grid stat-grid-compact">
                <StatCard label={t("sales.revenue")} value={i18n.money(totals.revenue)} />
                <StatCard label={t("sales.commissions")} value={i18n.money(totals.commissions)} />
                <StatCard label={t("sales.roi")} value={totalRoi === null ? "—" : i18n.percent((totalRoi * 100).toFixed(0))} hint={t("sales.roiHint")} />
              </div>
            ) : null}
            {rows.length === 0 ? (
              <Empty title={t("sales.noAffiliates")}>{t("sales.noAffiliatesHint")}</Empty>
            ) : (
              <div className="table-wrap" tabIndex={0}>
                <table className="table" data-testid="affiliate-roi">
                  <caption className="visually-hidden">{t("sales.roiTitle")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("queue.affiliate")}</th>
                      <th scope="col" className="numeric">
                        {t("sales.clicks")}
                      </th>
                      <th scope="col" className="numeric">
                        {t("sales.conversions")}
                      </th>
                      <th scope="col" className="numeric">
                        {t("sales.revenue")}
                      </th>
                      <th scope="col" className="numeric">
                        {t("sales.commissions")}
                      </th>
                      <th scope="col" className="numeric">
                        {t("sales.roi")}
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((row) => {
                      const value = roi(row.metrics.revenue.amount, row.metrics.commissions.amount);
                      return (
                        <tr key={row.value || "none"}>
                          <td>{row.label || t("sales.noAffiliate")}</td>
                          <td className="numeric">{i18n.number(row.metrics.uniqueClicks)}</td>
                          <td className="numeric">
                            {i18n.number(row.metrics.conversions)}
                            <span className="muted small"> · {i18n.percent((row.metrics.conversionRate * 100).toFixed(1))}</span>
                          </td>
                          <td className="numeric">{i18n.money(row.metrics.revenue)}</td>
                          <td className="numeric">{i18n.money(row.metrics.commissions)}</td>
                          <td className="numeric">{value === null ? "—" : i18n.percent((value * 100).toFixed(0))}</td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </div>
        )}
      </QueryState>
    </Card>
  );
}

function SalesRows({ after, isLast, onMore }: { after: string | null; isLast: boolean; onMore: (cursor: string) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({ query: MerchantSalesQuery, variables: { after }, requestPolicy: "cache-and-network" });
  const connection = result.data?.merchantSales;
  if (!connection) {
    return (
      <tbody>
        <tr>
          <td colSpan={7}>{result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={3} />}</td>
        </tr>
      </tbody>
    );
  }
  if (connection.edges.length === 0 && after === null) {
    return (
      <tbody>
        <tr>
          <td colSpan={7}>
            <Empty title={t("sales.empty")}>{t("sales.emptyHint")}</Empty>
          </td>
        </tr>
      </tbody>
    );
  }
  return (
    <tbody>
      {connection.edges.map(({ node }) => (
        <tr key={node.id}>
          <td>{i18n.date(node.paidAt)}</td>
          <td>
            <code>{node.orderNumber}</code>
            {node.orderStatus !== "PAID" ? <span className="muted small"> · {t(`order.${node.orderStatus}`)}</span> : null}
          </td>
          <td>
            {node.quantity} × {node.title}
          </td>
          <td className="numeric">{i18n.money(node.lineTotal)}</td>
          <td className="numeric">
            {i18n.money(node.platformFee)} <span className="muted small">({i18n.percent(node.platformFeeRate)})</span>
          </td>
          <td className="numeric">
            <strong>{i18n.money(node.net)}</strong>
          </td>
          <td className="numeric">
            {node.vouchersRedeemed} / {node.vouchersRedeemed + node.vouchersValid}
          </td>
        </tr>
      ))}
      {isLast && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <tr>
          <td colSpan={7} className="load-more">
            <button type="button" className="button button-secondary" onClick={() => onMore(connection.pageInfo.endCursor!)}>
              {t("common.loadMore")}
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}

export default function Sales() {
  const { t } = useI18n();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return (
    <div className="stack">
      <PageHeader title={t("sales.title")} subtitle={t("sales.subtitle")} />
      <MerchantLiveStats />
      <Roi />
      <Card title={t("sales.lines")}>
        <div className="table-wrap" tabIndex={0}>
          <table className="table" data-testid="sales">
            <caption className="visually-hidden">{t("sales.lines")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("sales.paidOn")}</th>
                <th scope="col">{t("sales.order")}</th>
                <th scope="col">{t("sales.deal")}</th>
                <th scope="col" className="numeric">
                  {t("sales.total")}
                </th>
                <th scope="col" className="numeric">
                  {t("sales.fee")}
                </th>
                <th scope="col" className="numeric">
                  {t("sales.net")}
                </th>
                <th scope="col" className="numeric">
                  {t("sales.redeemed")}
                </th>
              </tr>
            </thead>
            {cursors.map((cursor, index) => (
              <SalesRows key={cursor ?? "first"} after={cursor} isLast={index === cursors.length - 1} onMore={(next) => setCursors((current) => [...current, next])} />
            ))}
          </table>
        </div>
      </Card>
    </div>
  );
}
