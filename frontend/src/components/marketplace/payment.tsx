/**
 * A payment as its payer sees it: the status (kept live through `paymentUpdated`), and for a
 * bank transfer the brand's bank details, the reference to quote and the form that reports the
 * bank's transaction id. Used by the order page and the merchant's plan page.
 */
import { useEffect, useRef, useState } from "react";
import { useSubscription } from "urql";

import { useFormMutation } from "../../api/mutation";
import type { BankTransferFieldsFragment, PaymentFieldsFragment, PaymentStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { Form, FormErrors, SubmitButton, TextField } from "../form";
import { Badge, CopyButton } from "../ui";
import { PaymentLiveSubscription, PaymentSubmitTransactionMutation } from "./documents";

export type PaymentRow = PaymentFieldsFragment;

const TONES: Record<PaymentStatus, "warning" | "info" | "success" | "danger" | "neutral"> = {
  PENDING: "warning",
  TRANSACTION_SUBMITTED: "info",
  VERIFIED: "info",
  CONFIRMED: "success",
  REJECTED: "danger",
  FAILED: "danger",
  REFUNDED: "neutral",
};

/** No further change is expected: no need to stay subscribed. */
export const FINAL_PAYMENT_STATUSES: PaymentStatus[] = ["CONFIRMED", "REJECTED", "FAILED", "REFUNDED"];

export function PaymentStatusBadge({ status }: { status: PaymentStatus }) {
  const { t } = useI18n();
  return (
    <span data-testid="payment-status" data-status={status}>
      <Badge tone={TONES[status]}>{t(`payment.${status}`)}</Badge>
    </span>
  );
}

const STEPS = ["PENDING", "TRANSACTION_SUBMITTED", "VERIFIED", "CONFIRMED"] as const;
const stepOf = (status: PaymentStatus) => (STEPS as readonly PaymentStatus[]).indexOf(status);

/** pending → transaction submitted → verified → confirmed, with where this payment stands. */
export function PaymentSteps({ status }: { status: PaymentStatus }) {
  const { t } = useI18n();
  const reached = stepOf(status);
  if (reached < 0) return null;
  return (
    <ol className="payment-steps" aria-label={t("payment.progress")}>
      {STEPS.map((step, index) => (
        <li
          key={step}
          className={index < reached ? "step-done" : index === reached ? "step-current" : "step-todo"}
          aria-current={index === reached ? "step" : undefined}
        >
          <span className="step-dot" aria-hidden="true">
            {index < reached || (step === "CONFIRMED" && index === reached) ? "✓" : index + 1}
          </span>
          <span>{t(`payment.step.${step}`)}</span>
        </li>
      ))}
    </ol>
  );
}

export function BankDetails({ details }: { details: BankTransferFieldsFragment }) {
  const i18n = useI18n();
  const { t } = i18n;
  const rows: [string, string, boolean][] = [
    [t("bank.amount"), i18n.money(details.amount), false],
    [t("bank.reference"), details.reference, true],
    [t("bank.accountHolder"), details.accountHolder, false],
    [t("bank.bankName"), details.bankName, false],
    [t("bank.iban"), details.iban, true],
    [t("bank.bic"), details.bic, false],
    [t("bank.rib"), details.rib, true],
  ];
  return (
    <div className="bank-details" data-testid="bank-details">
      <dl className="facts">
        {rows
          .filter(([, value]) => value)
          .map(([label, value, copy]) => (
            <div key={label}>
              <dt>{label}</dt>
              <dd>
                <span className="copy-value" data-testid={label === t("bank.reference") ? "bank-reference" : undefined}>
                  {value}
                </span>
                {copy ? <CopyButton text={value} className="button button-ghost button-small" /> : null}
              </dd>
            </div>
          ))}
      </dl>
      {details.instructions ? <p className="bank-instructions">{details.instructions}</p> : null}
      {details.payBefore ? <p className="muted small">{t("bank.payBefore", { date: i18n.dateTime(details.payBefore) })}</p> : null}
    </div>
  );
}

export function TransactionForm({ reference, onSubmitted }: { reference: string; onSubmitted: (payment: PaymentRow) => void }) {
  const { t } = useI18n();
  const [transactionId, setTransactionId] = useState("");
  const submit = useFormMutation(PaymentSubmitTransactionMutation, (data) => data.paymentSubmitTransaction);
  const send = async () => {
    const data = await submit.run({ reference, transactionId: transactionId.trim() });
    const payment = data?.paymentSubmitTransaction.payment;
    if (payment) onSubmitted(payment);
  };
  return (
    <Form onSubmit={send} errors={submit.errors} busy={submit.fetching} aria-label={t("bank.submitTitle")}>
      <TextField
        name="transactionId"
        label={t("bank.transactionId")}
        hint={t("bank.transactionHint")}
        value={transactionId}
        onChange={setTransactionId}
        autoComplete="off"
      />
      <FormErrors />
      <SubmitButton>{t("bank.submit")}</SubmitButton>
    </Form>
  );
}

/**
 * The payment, with what `paymentUpdated` said since (its current state comes first). Stays
 * subscribed until the payment reaches a final status.
 */
export function useLivePayment(payment: PaymentRow | null | undefined, onChange?: (payment: PaymentRow) => void): PaymentRow | null {
  const [latest, setLatest] = useState<PaymentRow | null>(payment ?? null);
  useEffect(() => {
    if (payment) setLatest((current) => (current && current.reference === payment.reference && rank(current) > rank(payment) ? current : payment));
  }, [payment]);
  const reference = payment?.reference ?? null;
  const done = !reference || FINAL_PAYMENT_STATUSES.includes(latest?.status ?? "PENDING");
  const [{ data }] = useSubscription({ query: PaymentLiveSubscription, variables: { reference }, pause: done });
  useEffect(() => {
    const update = data?.paymentUpdated;
    if (!update || update.reference !== reference) return;
    setLatest((current) => {
      if (current && current.status !== update.status) onChange?.(update);
      return update;
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);
  return latest;
}

/** Where a status stands in the flow, so a stale answer never moves a payment back. */
function rank(payment: PaymentRow): number {
  const index = stepOf(payment.status);
  return index >= 0 ? index : STEPS.length;
}

/** Everything a payer needs for one payment: status, steps, bank details, the transaction form. */
export function PaymentPanel({ payment, onChange }: { payment: PaymentRow; onChange?: (payment: PaymentRow) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [submitted, setSubmitted] = useState<PaymentRow | null>(null);
  const live = useLivePayment(submitted ?? payment, onChange) ?? payment;
  const statusRef = useRef<HTMLDivElement>(null);
  const [moveFocus, setMoveFocus] = useState(false);
  useEffect(() => {
    if (!moveFocus) return;
    statusRef.current?.focus();
    setMoveFocus(false);
  }, [moveFocus]);
  const isBank = live.provider === "BANK_TRANSFER";
  return (
    <div className="payment-panel stack-tight" data-testid="payment-panel" data-reference={live.reference}>
      <div className="payment-head">
        <PaymentStatusBadge status={live.status} />
        {!FINAL_PAYMENT_STATUSES.includes(live.status) ? (
          <span className="badge badge-success" title={t("payment.liveHint")}>
            {t("dashboard.live")}
          </span>
        ) : null}
      </div>
      {isBank ? <PaymentSteps status={live.status} /> : null}
      {isBank && live.status === "PENDING" && live.bankTransfer ? (
        <>
          <p>{t("bank.lead")}</p>
          <BankDetails details={live.bankTransfer} />
          <h3>{t("bank.submitTitle")}</h3>
          <TransactionForm
            reference={live.reference}
            onSubmitted={(next) => {
              setSubmitted(next);
              setMoveFocus(true);
              onChange?.(next);
            }}
          />
        </>
      ) : null}
      {/* Present from the first render, so screen readers announce what goes in later; after
          the transfer is reported (the form goes away) the focus lands here, not on <body>. */}
      <div className="live-region" role="status" ref={statusRef} tabIndex={-1} data-testid="payment-announcer">
        {isBank && (live.status === "TRANSACTION_SUBMITTED" || live.status === "VERIFIED") ? (
          <div className="alert alert-info">
            <p>{t("bank.checking", { transactionId: live.transactionId })}</p>
          </div>
        ) : null}
      </div>
      {live.status === "REJECTED" ? (
        <div className="alert alert-error" role="alert">
          <p>{t("payment.rejected", { reason: live.rejectionReason || "—" })}</p>
        </div>
      ) : null}
      {live.status === "FAILED" ? (
        <div className="alert alert-error" role="alert">
          <p>{t("payment.failed")}</p>
        </div>
      ) : null}
    </div>
  );
}
