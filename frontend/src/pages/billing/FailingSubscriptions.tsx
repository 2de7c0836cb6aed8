import { useState } from "react";
import { useQuery } from "urql";

import { SelectField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { FailingSubscriptionKind } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const FailingSubscriptionsQuery = graphql(`
  query FailingSubscriptions($kind: FailingSubscriptionKind) {
    failingSubscriptions(kind: $kind) {
      id
      kind
      subscriptionId
      userEmail
      planName
      price {
        amount
        currency
      }
      status
      paymentFailedAt
      graceUntil
      downgraded
      currentPeriodEnd
      stripeSubscriptionId
    }
  }
`);

const TONES = { PAST_DUE: "warning", UNPAID: "danger", INCOMPLETE: "neutral" } as const;
const FILTERS = ["ALL", "MERCHANT_PLAN", "MEMBERSHIP"] as const;
type Filter = (typeof FILTERS)[number];

/** Brand admins see the merchant plans and memberships whose card payments fail (past due,
 * unpaid) or never went through (incomplete): who, since when, and where the grace period is. */
export default function FailingSubscriptions() {
  const i18n = useI18n();
  const { t } = i18n;
  const [filter, setFilter] = useState<Filter>("ALL");
  const kind: FailingSubscriptionKind | null = filter === "ALL" ? null : filter;
  const [result, reexecute] = useQuery({
    query: FailingSubscriptionsQuery,
    variables: { kind },
    requestPolicy: "cache-and-network",
  });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div className="stack">
      <PageHeader title={t("failingSubs.title")} subtitle={t("failingSubs.subtitle")} />
      <Card title={t("failingSubs.list")}>
        <SelectField
          name="kind"
          label={t("failingSubs.filter")}
          value={filter}
          onChange={(value) => setFilter(value as Filter)}
          options={FILTERS.map((value) => ({ value, label: t(`failingSubs.filter.${value}`) }))}
        />
        <QueryState
          result={result}
          retry={refresh}
          isEmpty={(data) => data.failingSubscriptions.length === 0}
          empty={<Empty title={t("failingSubs.empty")} />}
        >
          {(data) => (
            <div className="table-wrap" tabIndex={0}>
              <table className="table table-stack" data-testid="failing-subscriptions">
                <caption className="visually-hidden">{t("failingSubs.list")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("failingSubs.customer")}</th>
                    <th scope="col">{t("failingSubs.kind")}</th>
                    <th scope="col">{t("failingSubs.plan")}</th>
                    <th scope="col">{t("failingSubs.status")}</th>
                    <th scope="col">{t("failingSubs.failedSince")}</th>
                    <th scope="col">{t("failingSubs.grace")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.failingSubscriptions.map((row) => (
                    <tr key={row.id} data-testid="failing-subscription">
                      <td data-label={t("failingSubs.customer")}>
                        <strong>{row.userEmail}</strong>
                        {row.stripeSubscriptionId ? <span className="muted small block">{row.stripeSubscriptionId}</span> : null}
                      </td>
                      <td data-label={t("failingSubs.kind")}>{t(`failingSubs.kind.${row.kind}`)}</td>
                      <td data-label={t("failingSubs.plan")}>
                        {row.planName} · {i18n.money(row.price)}
                      </td>
                      <td data-label={t("failingSubs.status")}>
                        <Badge tone={TONES[row.status as keyof typeof TONES] ?? "neutral"}>
                          {row.status === "PAST_DUE" || row.status === "UNPAID" || row.status === "INCOMPLETE"
                            ? t(`failingSubs.status.${row.status}`)
                            : row.status}
                        </Badge>
                      </td>
                      <td data-label={t("failingSubs.failedSince")}>{i18n.date(row.paymentFailedAt)}</td>
                      <td data-label={t("failingSubs.grace")}>
                        {row.downgraded ? (
                          <Badge tone="danger">{t("failingSubs.downgraded")}</Badge>
                        ) : row.graceUntil ? (
                          t("failingSubs.graceUntil", { date: i18n.date(row.graceUntil) })
                        ) : (
                          <span className="muted">{t("failingSubs.none")}</span>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryState>
      </Card>
    </div>
  );
}
