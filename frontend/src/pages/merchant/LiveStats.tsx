/**
 * A merchant's live counters (last 30 days): clicks on affiliates' links to the merchant's own
 * products, unique clicks, sales, revenue and commissions owed. `merchantStats` sends a snapshot,
 * then the delta of every click or sale that changes them, which this card applies (api/liveStats).
 */
import { useSubscription } from "urql";

import { applyMerchantStats, type MerchantCounters } from "../../api/liveStats";
import { Card, StatCard } from "../../components/ui";
import { graphql } from "../../gql";
import type { MerchantStatsLiveSubscription } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const MerchantStatsSubscription = graphql(`
  subscription MerchantStatsLive {
    merchantStats {
      clicks
      uniqueClicks
      conversions
      revenue {
        amount
        currency
      }
      commissions {
        amount
        currency
      }
      isSnapshot
      delta {
        clicks
        uniqueClicks
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
    }
  }
`);

export default function MerchantLiveStats() {
  const i18n = useI18n();
  const { t } = i18n;
  const [{ data: stats }] = useSubscription<MerchantStatsLiveSubscription, MerchantCounters>(
    { query: MerchantStatsSubscription },
    (current, message) => applyMerchantStats(current ?? null, message.merchantStats),
  );
  const amounts = (values: { amount: string; currency: string }[]) => (values.length ? values.map((value) => i18n.money(value)).join(" · ") : "—");
  const value = (shown: string | undefined) => shown ?? "…";
  return (
    <Card title={t("merchantLive.title")} actions={<span className="badge badge-success">{t("dashboard.live")}</span>}>
      <div className="stat-grid" aria-label={t("merchantLive.title")}>
        <StatCard live testId="merchant-stat-clicks" label={t("stats.clicks")} value={value(stats ? i18n.number(stats.clicks) : undefined)} />
        <StatCard live testId="merchant-stat-unique" label={t("stats.uniqueClicks")} value={value(stats ? i18n.number(stats.uniqueClicks) : undefined)} />
        <StatCard live testId="merchant-stat-conversions" label={t("stats.conversions")} value={value(stats ? i18n.number(stats.conversions) : undefined)} />
        <StatCard live testId="merchant-stat-revenue" label={t("merchantLive.revenue")} value={value(stats ? amounts(stats.revenue) : undefined)} />
        <StatCard live testId="merchant-stat-commissions" label={t("merchantLive.commissionsOwed")} value={value(stats ? amounts(stats.commissions) : undefined)} />
      </div>
    </Card>
  );
}
