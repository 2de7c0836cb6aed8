/**
 * The brand admin's manual payment queue: bank transfers reported by customers and merchants,
 * to verify on the bank account, then confirm (the order is paid or the plan starts, and an
 * invoice is issued) or reject with a reason. Kept live through `paymentUpdated`.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { PaymentLiveSubscription } from "../../components/marketplace/documents";
import "../../components/marketplace/marketplace.css";
import { PaymentStatusBadge, type PaymentRow } from "../../components/marketplace/payment";
import { Empty, QueryState } from "../../components/states";
import { Card, Dialog, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { PaymentStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { settled } from "../../components/marketplace/query";

export const ManualPaymentsQuery = graphql(`
  query ManualPayments($status: PaymentStatus, $after: String) {
    manualPayments(status: $status, first: 50, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...PaymentFields
        }
      }
    }
  }
`);

export const PaymentVerifyMutation = graphql(`
  mutation PaymentVerify($reference: String!) {
    paymentVerify(reference: $reference) {
      payment {
        ...PaymentFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PaymentConfirmMutation = graphql(`
  mutation PaymentConfirm($reference: String!) {
    paymentConfirm(reference: $reference) {
      payment {
        ...PaymentFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PaymentRejectMutation = graphql(`
  mutation PaymentReject($reference: String!, $reason: String!) {
    paymentReject(reference: $reference, reason: $reason) {
      payment {
        ...PaymentFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Filter = PaymentStatus | "ALL";
const OPEN: PaymentStatus[] = ["PENDING", "TRANSACTION_SUBMITTED", "VERIFIED"];

/**
 * ``rows`` with the live updates since: changed payments in place, new ones last (the queue is
 * oldest first) when ``accept`` keeps them. A payment once on screen stays there after it moves
 * on (verified, then confirmed from the same view); ``remember`` records a mutation's answer.
 */
export function useLivePayments(rows: PaymentRow[], accept: (row: PaymentRow) => boolean) {
  const [updates, setUpdates] = useState<Map<string, PaymentRow>>(new Map());
  const seen = useRef<Set<string>>(new Set());
  const [{ data }] = useSubscription({ query: PaymentLiveSubscription, variables: { reference: null } });
  const remember = useCallback((row: PaymentRow) => setUpdates((current) => new Map(current).set(row.id, row)), []);
  useEffect(() => {
    const row = data?.paymentUpdated;
    if (row && row.provider === "BANK_TRANSFER") remember(row);
  }, [data, remember]);
  const merged = useMemo(() => {
    const known = new Set(rows.map((row) => row.id));
    const fresh = [...updates.values()].filter((row) => !known.has(row.id) && (accept(row) || seen.current.has(row.id)));
    fresh.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return [...rows.map((row) => updates.get(row.id) ?? row), ...fresh];
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, updates]);
  useEffect(() => {
    merged.forEach((row) => seen.current.add(row.id));
  }, [merged]);
  return { rows: merged, remember, forget: () => (seen.current = new Set()) };
}

function RejectDialog({ payment, onClose, onRejected }: { payment: PaymentRow | null; onClose: () => void; onRejected: (payment: PaymentRow) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [reason, setReason] = useState("");
  const reject = useFormMutation(PaymentRejectMutation, (data) => data.paymentReject);
  const close = () => {
    setReason("");
    reject.setErrors([]);
    onClose();
  };
  const submit = async () => {
    if (!payment) return;
    const data = await reject.run({ reference: payment.reference, reason: reason.trim() });
    if (data?.paymentReject.payment) {
      onRejected(data.paymentReject.payment);
      close();
    }
  };
  return (
    <Dialog open={payment !== null} title={t("payments.rejectTitle")} onClose={close}>
      {payment ? (
        <Form onSubmit={submit} errors={reject.errors} busy={reject.fetching}>
          <p className="muted">
            {payment.reference} · {payment.payerName} · {i18n.money(payment.amount)}
          </p>
          <TextField name="reason" label={t("queue.reason")} hint={t("payments.reasonHint")} value={reason} onChange={setReason} autoFocus />
          <FormErrors />
          <div className="button-row">
            <button type="button" className="button button-ghost" onClick={close}>
              {t("common.cancel")}
            </button>
            <SubmitButton variant="danger">{t("queue.reject")}</SubmitButton>
          </div>
        </Form>
      ) : null}
    </Dialog>
  );
}

function purposeOf(payment: PaymentRow, t: ReturnType<typeof useI18n>["t"]) {
  if (payment.purpose === "ORDER" && payment.orderNumber) {
    return (
      <Link to={`/orders/${payment.orderNumber}`}>
        {t("payments.order", { number: payment.orderNumber })}
      </Link>
    );
  }
  return t(`purpose.${payment.purpose}`);
}

export default function Payments() {
  const i18n = useI18n();
  const { t } = i18n;
  const [filter, setFilter] = useState<Filter>("TRANSACTION_SUBMITTED");
  const [rejecting, setRejecting] = useState<PaymentRow | null>(null);
  const [result, reexecute] = useQuery({
    query: ManualPaymentsQuery,
    variables: { status: filter === "ALL" ? null : filter, after: null },
    requestPolicy: "cache-and-network",
  });
  const verify = useFormMutation(PaymentVerifyMutation, (data) => data.paymentVerify);
  const confirm = useFormMutation(PaymentConfirmMutation, (data) => data.paymentConfirm);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const live = useLivePayments(result.data?.manualPayments.edges.map((edge) => edge.node) ?? [], (row) => filter === "ALL" || row.status === filter);
  const rows = live.rows;
  const choose = (value: Filter) => {
    live.forget();
    setFilter(value);
  };
  const queue = useRef<HTMLDivElement>(null);
  const [focusAfter, setFocusAfter] = useState<{ reference: string; index: number } | null>(null);
  // A row's buttons go away when it moves on (Verify becomes Confirm; a row leaves the filtered
  // list): the focus goes to the same row's next action, else the row that took its place, else
  // the queue itself, never to <body>.
  useEffect(() => {
    if (!focusAfter) return;
    const root = queue.current;
    if (!root) return;
    const rowsNow = [...root.querySelectorAll<HTMLElement>("[data-testid=payment-row]")];
    const row = rowsNow.find((element) => element.dataset.reference === focusAfter.reference) ?? rowsNow[Math.min(focusAfter.index, rowsNow.length - 1)];
    const target = row?.querySelector<HTMLElement>("td.actions button") ?? root;
    target.focus();
    setFocusAfter(null);
  }, [focusAfter, rows]);
  const rememberFocus = (reference: string) => {
    const index = rows.findIndex((row) => row.reference === reference);
    return () => setFocusAfter({ reference, index: Math.max(index, 0) });
  };
  const act = async (action: typeof verify | typeof confirm, reference: string) => {
    const refocus = rememberFocus(reference);
    const data = await action.run({ reference });
    const payment = data && ("paymentVerify" in data ? data.paymentVerify.payment : data.paymentConfirm.payment);
    if (payment) live.remember(payment);
    refocus();
  };
  const errors = [...verify.errors, ...confirm.errors];
  const busy = verify.fetching || confirm.fetching;
  return (
    <div className="stack">
      <PageHeader title={t("payments.title")} subtitle={t("payments.subtitle")} />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={filter}
          onChange={choose}
          options={[
            { value: "TRANSACTION_SUBMITTED", label: t("payments.toVerify") },
            { value: "VERIFIED", label: t("payments.toConfirm") },
            { value: "PENDING", label: t("payments.awaiting") },
            { value: "CONFIRMED", label: t("payment.CONFIRMED") },
            { value: "REJECTED", label: t("payment.REJECTED") },
            { value: "ALL", label: t("common.all") },
          ]}
        />
        <span className="badge badge-success">{t("dashboard.live")}</span>
      </div>
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <Card>
        <div ref={queue} tabIndex={-1} aria-label={t("payments.title")} role="region" className="focus-target">
        <QueryState result={settled(result)} retry={refresh}>
          {() =>
            rows.length === 0 ? (
              <Empty title={t("payments.empty")}>{t("payments.emptyHint")}</Empty>
            ) : (
              <div className="table-wrap" tabIndex={0}>
                <table className="table table-stack" data-testid="payment-queue">
                  <caption className="visually-hidden">{t("payments.title")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("payments.reference")}</th>
                      <th scope="col">{t("payments.payer")}</th>
                      <th scope="col">{t("payments.for")}</th>
                      <th scope="col" className="numeric">
                        {t("bank.amount")}
                      </th>
                      <th scope="col">{t("bank.transactionId")}</th>
                      <th scope="col">{t("common.status")}</th>
                      <th scope="col">{t("common.actions")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((row) => (
                      <tr key={row.id} data-testid="payment-row" data-reference={row.reference}>
                        <td data-label={t("payments.reference")}>
                          <code>{row.reference}</code>
                          <p className="muted small">{i18n.dateTime(row.submittedAt ?? row.createdAt)}</p>
                        </td>
                        <td data-label={t("payments.payer")}>
                          {row.payerName || "—"}
                          <p className="muted small">
                            {row.payerEmail}
                            {row.contactChannel && row.contactChannel !== "EMAIL" ? (
                              <>
                                {" · "}
                                {t(`channel.${row.contactChannel}`)} {row.contact}
                              </>
                            ) : null}
                          </p>
                        </td>
                        <td data-label={t("payments.for")}>{purposeOf(row, t)}</td>
                        <td data-label={t("bank.amount")} className="numeric">{i18n.money(row.amount)}</td>
                        <td data-label={t("bank.transactionId")}>{row.transactionId ? <code>{row.transactionId}</code> : <span className="muted">—</span>}</td>
                        <td data-label={t("common.status")}>
                          <PaymentStatusBadge status={row.status} />
                          {row.rejectionReason ? <p className="muted small">{row.rejectionReason}</p> : null}
                        </td>
                        <td data-label={t("common.actions")} className="actions">
                          {row.status === "TRANSACTION_SUBMITTED" ? (
                            <button type="button" className="button button-secondary button-small" aria-disabled={busy} onClick={() => !busy && void act(verify, row.reference)}>
                              {t("payments.verify")}
                            </button>
                          ) : null}
                          {row.status === "VERIFIED" ? (
                            <button type="button" className="button button-primary button-small" aria-disabled={busy} onClick={() => !busy && void act(confirm, row.reference)}>
                              {t("payments.confirm")}
                            </button>
                          ) : null}
                          {OPEN.includes(row.status) ? (
                            <button type="button" className="button button-danger button-small" onClick={() => setRejecting(row)}>
                              {t("queue.reject")}
                            </button>
                          ) : null}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
        </div>
      </Card>
      <RejectDialog
        payment={rejecting}
        onClose={() => setRejecting(null)}
        onRejected={(payment) => {
          const refocus = rememberFocus(payment.reference);
          live.remember(payment);
          refocus();
        }}
      />
    </div>
  );
}
