/**
 * One order: its payment followed live (for a bank transfer: the brand's bank details, the
 * reference, the form for the bank's transaction id, then each step of the brand's check), and
 * once paid, the vouchers. Stripe Checkout sends the customer back here too.
 */
import { useCallback, useEffect, useState } from "react";
import { Link, useLocation, useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import "../../components/marketplace/marketplace.css";
import { PaymentPanel, type PaymentRow } from "../../components/marketplace/payment";
import { Empty, QueryState, SkeletonRows } from "../../components/states";
import { Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";
import { OrderLines, OrderStatusBadge, type OrderRow } from "./orderParts";
import { settled } from "../../components/marketplace/query";

export const OrderQuery = graphql(`
  query OrderDetail($number: String!) {
    order(number: $number) {
      ...OrderFields
    }
  }
`);

export const OrderCancelMutation = graphql(`
  mutation OrderCancel($number: String!) {
    orderCancel(number: $number) {
      order {
        ...OrderFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

function OrderView({ order, refresh }: { order: OrderRow; refresh: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [params] = useSearchParams();
  const location = useLocation();
  const checkout = params.get("checkout");
  const justPlaced = Boolean((location.state as { placed?: boolean } | null)?.placed);
  const cancel = useFormMutation(OrderCancelMutation, (data) => data.orderCancel);
  const [paymentStatus, setPaymentStatus] = useState(order.payment?.status ?? null);
  useEffect(() => setPaymentStatus(order.payment?.status ?? null), [order.payment?.status]);
  const onPayment = useCallback(
    (payment: PaymentRow) => {
      setPaymentStatus(payment.status);
      // A confirmed payment makes the order paid and its vouchers: read them.
      if (payment.status === "CONFIRMED" || payment.status === "REJECTED") refresh();
    },
    [refresh],
  );
  const pending = order.status === "PENDING_PAYMENT";
  return (
    <div className="stack">
      <PageHeader
        title={t("orders.orderTitle", { number: order.number })}
        subtitle={t("orders.placedOn", { date: i18n.dateTime(order.createdAt) })}
        actions={<OrderStatusBadge status={order.status} paymentStatus={paymentStatus} />}
      />
      <div className="live-region" role="status">
        {justPlaced && pending ? (
          <div className="alert alert-success">
            <p>{t("orders.placed")}</p>
          </div>
        ) : null}
      </div>
      <div className="live-region" role="status">
        {checkout === "success" && pending ? (
          <div className="alert alert-info">
            <p>{t("orders.cardReturned")}</p>
          </div>
        ) : null}
      </div>
      {checkout === "cancelled" && pending ? (
        <div className="alert alert-error" role="alert">
          <p>{t("orders.cardCancelled")}</p>
        </div>
      ) : null}
      <div className="grid grid-sidebar-right order-layout">
        <div className="stack">
          {order.payment ? (
            <Card title={t("orders.payment")}>
              <PaymentPanel payment={order.payment} onChange={onPayment} />
            </Card>
          ) : null}
          {order.status === "PAID" || order.status === "PARTIALLY_REFUNDED" ? (
            <Card title={t("orders.vouchers")}>
              <p className="muted small">{t("orders.vouchersHint")}</p>
              <OrderLines order={order} reviews />
            </Card>
          ) : null}
        </div>
        <Card title={t("orders.summary")}>
          <OrderLines order={order} vouchers={false} />
          <dl className="facts">
            <div>
              <dt>{t("checkout.total")}</dt>
              <dd className="numeric">
                <strong>{i18n.money(order.total)}</strong>
              </dd>
            </div>
            {!/^0(\.0+)?$/.test(order.refundedAmount.amount) ? (
              <div>
                <dt>{t("orders.refunded")}</dt>
                <dd className="numeric">{i18n.money(order.refundedAmount)}</dd>
              </div>
            ) : null}
            <div>
              <dt>{t("orders.paymentMethod")}</dt>
              <dd>{t(`provider.${order.paymentProvider}`)}</dd>
            </div>
            <div>
              <dt>{t("orders.vouchersTo")}</dt>
              <dd>{order.email}</dd>
            </div>
            {pending ? (
              <div>
                <dt>{t("orders.reservedUntil")}</dt>
                <dd>{i18n.dateTime(order.reservedUntil)}</dd>
              </div>
            ) : null}
            {order.paidAt ? (
              <div>
                <dt>{t("orders.paidOn")}</dt>
                <dd>{i18n.dateTime(order.paidAt)}</dd>
              </div>
            ) : null}
          </dl>
          {cancel.errors.length ? (
            <div className="alert alert-error" role="alert">
              {cancel.errors.map((error, index) => (
                <p key={index}>{error.message}</p>
              ))}
            </div>
          ) : null}
          <div className="button-row">
            <Link className="button button-ghost" to="/orders">
              {t("orders.all")}
            </Link>
            {pending && order.payment?.status === "PENDING" ? (
              <button
                type="button"
                className="button button-danger"
                disabled={cancel.fetching}
                onClick={() => {
                  if (window.confirm(t("orders.cancelConfirm"))) void cancel.run({ number: order.number }).then(refresh);
                }}
              >
                {t("orders.cancel")}
              </button>
            ) : null}
          </div>
        </Card>
      </div>
    </div>
  );
}

export default function Order() {
  const { t } = useI18n();
  const { number = "" } = useParams();
  const [result, reexecute] = useQuery({ query: OrderQuery, variables: { number }, requestPolicy: "cache-and-network" });
  const refresh = useCallback(() => reexecute({ requestPolicy: "network-only" }), [reexecute]);
  return (
    <QueryState
      result={settled(result)}
      retry={refresh}
      loading={<SkeletonRows rows={5} />}
      isEmpty={(data) => !data.order}
      empty={<Empty title={t("orders.notFound")} action={<Link className="button button-primary" to="/orders">{t("orders.all")}</Link>} />}
    >
      {(data) => <OrderView order={data.order!} refresh={refresh} />}
    </QueryState>
  );
}
