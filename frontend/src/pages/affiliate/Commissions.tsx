import { useEffect, useState } from "react";
import { useQuery } from "urql";

import { Empty, ErrorState, SkeletonRows } from "../../components/states";
import { Badge, Card, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { CommissionStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { MembershipGate, type MembershipContext } from "./membership";

export const MyCommissionsQuery = graphql(`
  query MyCommissions($status: CommissionStatus, $programId: ID, $after: String) {
    myCommissions(status: $status, programId: $programId, first: 25, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          status
          underReview
          kind
          level
          isRecurring
          clickCount
          availableAt
          createdAt
          amount {
            amount
            currency
          }
          reversedAmount {
            amount
            currency
          }
          conversion {
            orderId
            occurredAt
            amount {
              amount
              currency
            }
          }
        }
      }
    }
  }
`);

type Filter = CommissionStatus | "ALL";
const TONES = { PENDING: "warning", AVAILABLE: "success", REVERSED: "danger", HELD: "info" } as const;

/** One page of rows; the last page offers the next. */
function CommissionPage({
  programId,
  status,
  after,
  isLast,
  onMore,
  onTotal,
}: {
  programId: string;
  status: Filter;
  after: string | null;
  isLast: boolean;
  onMore: (cursor: string) => void;
  onTotal?: (total: number) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({
    query: MyCommissionsQuery,
    variables: { programId, status: status === "ALL" ? null : status, after },
    requestPolicy: "cache-and-network",
  });
  const connection = result.data?.myCommissions;
  const total = connection?.totalCount;
  useEffect(() => {
    if (total !== undefined) onTotal?.(total);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [total]);
  if (!connection) {
    return (
      <tbody>
        <tr>
          <td colSpan={6}>{result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={3} />}</td>
        </tr>
      </tbody>
    );
  }
  if (connection.edges.length === 0 && after === null) {
    return (
      <tbody>
        <tr>
          <td colSpan={6}>
            <Empty title={t("commissions.empty")}>{t("commissions.emptyHint")}</Empty>
          </td>
        </tr>
      </tbody>
    );
  }
  return (
    <tbody>
      {connection.edges.map(({ node }) => (
        <tr key={node.id}>
          <td>{i18n.date(node.createdAt)}</td>
          <td>
            {node.conversion ? (
              <>
                <span>{node.conversion.orderId}</span> <span className="muted small">{i18n.money(node.conversion.amount)}</span>
              </>
            ) : (
              <span className="muted">{t("commissions.clicks", { count: node.clickCount })}</span>
            )}
          </td>
          <td>
            {t(`kind.${node.kind}`)}
            {node.level > 0 ? <span className="muted small"> · {t("commissions.level", { level: node.level })}</span> : null}
            {node.isRecurring ? <span className="muted small"> · {t("commissions.recurring")}</span> : null}
          </td>
          <td>
            {node.underReview || node.status === "HELD" ? (
              <span title={t("fraud.underReviewHint")}>
                <Badge tone="info">{t("fraud.underReview")}</Badge>
              </span>
            ) : (
              <Badge tone={TONES[node.status]}>{t(`commission.${node.status}`)}</Badge>
            )}
          </td>
          <td>{node.status === "PENDING" ? i18n.date(node.availableAt) : "—"}</td>
          <td className="numeric">
            {i18n.money(node.amount)}
            {!/^0(\.0+)?$/.test(node.reversedAmount.amount) ? (
              <span className="muted small"> (−{i18n.money(node.reversedAmount)})</span>
            ) : null}
          </td>
        </tr>
      ))}
      {isLast && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <tr>
          <td colSpan={6} className="load-more">
            <button type="button" className="button button-secondary" onClick={() => onMore(connection.pageInfo.endCursor!)}>
              {t("common.loadMore")}
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}

function CommissionsPage({ program, picker }: MembershipContext) {
  const { t } = useI18n();
  const [status, setStatus] = useState<Filter>("ALL");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [total, setTotal] = useState<number | null>(null);
  const filter = (value: Filter) => {
    setStatus(value);
    setCursors([null]);
  };
  return (
    <div className="stack">
      <PageHeader title={t("commissions.title")} subtitle={total === null ? t("commissions.subtitle") : t("commissions.count", { count: total })} actions={picker} />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={status}
          onChange={filter}
          options={[
            { value: "ALL", label: t("common.all") },
            { value: "PENDING", label: t("commission.PENDING") },
            { value: "AVAILABLE", label: t("commission.AVAILABLE") },
            { value: "REVERSED", label: t("commission.REVERSED") },
            { value: "HELD", label: t("fraud.underReview") },
          ]}
        />
      </div>
      <Card>
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{t("commissions.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("common.date")}</th>
                <th scope="col">{t("commissions.sale")}</th>
                <th scope="col">{t("commissions.kind")}</th>
                <th scope="col">{t("common.status")}</th>
                <th scope="col">{t("commissions.availableOn")}</th>
                <th scope="col" className="numeric">
                  {t("commissions.amount")}
                </th>
              </tr>
            </thead>
            {cursors.map((cursor, index) => (
              <CommissionPage
                key={`${status}-${cursor ?? "first"}`}
                programId={program.id}
                status={status}
                after={cursor}
                isLast={index === cursors.length - 1}
                onMore={(next) => setCursors((current) => [...current, next])}
                onTotal={index === 0 ? setTotal : undefined}
              />
            ))}
          </table>
        </div>
      </Card>
    </div>
  );
}

export default function Commissions() {
  return <MembershipGate>{(context) => <CommissionsPage {...context} />}</MembershipGate>;
}
