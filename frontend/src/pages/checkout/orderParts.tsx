/** Pieces of orders shared by the order page and "my orders". */
import { useState } from "react";

import { ReviewForm } from "../../components/marketplace/ReviewForm";
import { Badge, CopyButton, Dialog } from "../../components/ui";
import type { OrderFieldsFragment, OrderStatus, PaymentStatus, VoucherStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export type OrderRow = OrderFieldsFragment;

const ORDER_TONES: Record<OrderStatus, "warning" | "success" | "danger" | "neutral" | "info"> = {
  PENDING_PAYMENT: "warning",
  PAID: "success",
  CANCELLED: "neutral",
  REFUNDED: "danger",
  PARTIALLY_REFUNDED: "info",
};

/** The order's state; an unpaid order whose bank transfer was reported (or verified) says so,
 * rather than "awaiting payment" beside a payment that reads "transfer reported". */
export function OrderStatusBadge({ status, paymentStatus }: { status: OrderStatus; paymentStatus?: PaymentStatus | null }) {
  const { t } = useI18n();
  const transfer = status === "PENDING_PAYMENT" && (paymentStatus === "TRANSACTION_SUBMITTED" || paymentStatus === "VERIFIED") ? paymentStatus : null;
  return (
    <span data-testid="order-status" data-status={status}>
      <Badge tone={transfer ? "info" : ORDER_TONES[status]}>{transfer ? t(`order.PENDING_PAYMENT.${transfer}`) : t(`order.${status}`)}</Badge>
    </span>
  );
}

const VOUCHER_TONES: Record<VoucherStatus, "success" | "neutral" | "danger"> = { VALID: "success", REDEEMED: "neutral", VOID: "danger" };

export function Vouchers({ vouchers }: { vouchers: OrderRow["lines"][number]["vouchers"] }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (!vouchers.length) return null;
  return (
    <ul className="voucher-list" aria-label={t("orders.vouchers")}>
      {vouchers.map((voucher) => (
        <li key={voucher.id} className={`voucher voucher-${voucher.status.toLowerCase()}`} data-testid="voucher">
          <code className="voucher-code">{voucher.code}</code>
          <Badge tone={VOUCHER_TONES[voucher.status]}>{t(`voucher.${voucher.status}`)}</Badge>
          {voucher.redeemedAt ? <span className="muted small">{i18n.date(voucher.redeemedAt)}</span> : null}
          {voucher.status === "VALID" ? <CopyButton text={voucher.code} className="button button-ghost button-small" /> : null}
        </li>
      ))}
    </ul>
  );
}

/** "Rate this deal" for a paid line: the review form in a dialog. */
export function ReviewButton({ productId, title }: { productId: string; title: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <button type="button" className="button button-secondary button-small" onClick={() => setOpen(true)}>
        {t("reviews.rate")}
      </button>
      <Dialog open={open} title={t("reviews.rateTitle", { title })} onClose={() => setOpen(false)}>
        <ReviewForm productId={productId} />
        <div className="button-row">
          <button type="button" className="button button-ghost" onClick={() => setOpen(false)}>
            {t("market.close")}
          </button>
        </div>
      </Dialog>
    </>
  );
}

export function OrderLines({ order, reviews = false, vouchers = true }: { order: OrderRow; reviews?: boolean; vouchers?: boolean }) {
  const i18n = useI18n();
  const paid = order.status === "PAID" || order.status === "PARTIALLY_REFUNDED";
  return (
    <ul className="order-lines">
      {order.lines.map((line) => (
        <li key={line.id} className="order-line">
          <div className="order-line-head">
            <span className="order-line-title">
              {line.quantity} × {line.title}
            </span>
            <span className="numeric">{i18n.money(line.lineTotal)}</span>
          </div>
          {paid && vouchers ? <Vouchers vouchers={line.vouchers} /> : null}
          {paid && reviews ? <ReviewButton productId={line.productId} title={line.title} /> : null}
        </li>
      ))}
    </ul>
  );
}

