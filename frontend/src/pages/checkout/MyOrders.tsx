/** My orders with their vouchers, newest first, and my invoices. */
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";

import "../../components/marketplace/marketplace.css";
import { InvoiceList } from "../billing/invoices";
import { Empty, ErrorState, SkeletonRows } from "../../components/states";
import { Card, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { OrderStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { OrderLines, OrderStatusBadge } from "./orderParts";

export const MyOrdersQuery = graphql(`
  query MyOrders($status: OrderStatus, $after: String) {
    myOrders(status: $status, first: 10, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...OrderFields
        }
      }
    }
  }
`);

type Filter = OrderStatus | "ALL";

function OrdersPage({ status, after, isLast, onMore }: { status: Filter; after: string | null; isLast: boolean; onMore: (cursor: string) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({
    query: MyOrdersQuery,
    variables: { status: status === "ALL" ? null : status, after },
    requestPolicy: "cache-and-network",
  });
  const connection = result.data?.myOrders;
  if (!connection) return result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={3} />;
  if (connection.edges.length === 0 && after === null) {
    return (
      <Empty title={t("orders.empty")} action={<Link className="button button-primary" to="/deals">{t("orders.browse")}</Link>}>
        {t("orders.emptyHint")}
      </Empty>
    );
  }
  return (
    <>
      {connection.edges.map(({ node: order }) => (
        <article key={order.id} className="card order-card" data-testid="order-card" data-number={order.number}>
          <header className="order-card-head">
            <h2 className="card-title">
              <Link to={`/orders/${order.number}`}>{t("orders.orderTitle", { number: order.number })}</Link>
            </h2>
            <OrderStatusBadge status={order.status} paymentStatus={order.payment?.status} />
          </header>
          <p className="muted small">
            {i18n.dateTime(order.createdAt)} · {i18n.money(order.total)} · {t(`provider.${order.paymentProvider}`)}
          </p>
          <OrderLines order={order} reviews />
          {order.status === "PENDING_PAYMENT" ? (
            <Link className="button button-primary button-small" to={`/orders/${order.number}`}>
              {order.payment?.status === "PENDING" && order.paymentProvider === "BANK_TRANSFER" ? t("orders.finishTransfer") : t("orders.follow")}
            </Link>
          ) : null}
        </article>
      ))}
      {isLast && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <div className="load-more">
          <button type="button" className="button button-secondary" onClick={() => onMore(connection.pageInfo.endCursor!)}>
            {t("common.loadMore")}
          </button>
        </div>
      ) : null}
    </>
  );
}

export default function MyOrders() {
  const { t } = useI18n();
  const [status, setStatus] = useState<Filter>("ALL");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const choose = (value: Filter) => {
    setStatus(value);
    setCursors([null]);
  };
  return (
    <div className="stack">
      <PageHeader title={t("orders.title")} subtitle={t("orders.subtitle")} actions={<Link className="button button-secondary" to="/deals">{t("orders.browse")}</Link>} />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={status}
          onChange={choose}
          options={[
            { value: "ALL", label: t("common.all") },
            { value: "PENDING_PAYMENT", label: t("order.PENDING_PAYMENT") },
            { value: "PAID", label: t("order.PAID") },
            { value: "CANCELLED", label: t("order.CANCELLED") },
            { value: "REFUNDED", label: t("order.REFUNDED") },
          ]}
        />
      </div>
      <div className="grid grid-sidebar-right">
        <div className="stack">
          {cursors.map((cursor, index) => (
            <OrdersPage
              key={`${status}-${cursor ?? "first"}`}
              status={status}
              after={cursor}
              isLast={index === cursors.length - 1}
              onMore={(next) => setCursors((current) => [...current, next])}
            />
          ))}
        </div>
        <Card title={t("invoices.title")}>
          <InvoiceList compact />
        </Card>
      </div>
    </div>
  );
}
