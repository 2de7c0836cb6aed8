import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Card, Dialog, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { WithdrawalStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { payoutDetails, useLiveWithdrawals, WithdrawalsQuery, WithdrawalStatusBadge, type WithdrawalRow } from "../shared/withdrawals";

export const WithdrawalApproveMutation = graphql(`
  mutation WithdrawalApprove($id: ID!) {
    withdrawalApprove(id: $id) {
      withdrawal {
        ...WithdrawalFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const WithdrawalRejectMutation = graphql(`
  mutation WithdrawalReject($id: ID!, $reason: String!) {
    withdrawalReject(id: $id, reason: $reason) {
      withdrawal {
        ...WithdrawalFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const WithdrawalMarkPaidMutation = graphql(`
  mutation WithdrawalMarkPaid($id: ID!, $paymentReference: String!) {
    withdrawalMarkPaid(id: $id, paymentReference: $paymentReference) {
      withdrawal {
        ...WithdrawalFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Filter = WithdrawalStatus | "ALL";
type Action = { kind: "reject" | "pay"; row: WithdrawalRow } | null;

function ActionDialog({ action, onClose, onDone }: { action: Action; onClose: () => void; onDone: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [text, setText] = useState("");
  const reject = useFormMutation(WithdrawalRejectMutation, (data) => data.withdrawalReject);
  const pay = useFormMutation(WithdrawalMarkPaidMutation, (data) => data.withdrawalMarkPaid);
  const mutation = action?.kind === "reject" ? reject : pay;
  const close = () => {
    setText("");
    reject.setErrors([]);
    pay.setErrors([]);
    onClose();
  };
  const submit = async () => {
    if (!action) return;
    const done =
      action.kind === "reject"
        ? await reject.run({ id: action.row.id, reason: text })
        : await pay.run({ id: action.row.id, paymentReference: text });
    if (done) {
      close();
      onDone();
    }
  };
  return (
    <Dialog open={action !== null} title={action?.kind === "reject" ? t("queue.rejectTitle") : t("queue.payTitle")} onClose={close}>
      {action ? (
        <>
          <p className="muted">
            {action.row.affiliateEmail} · {i18n.money(action.row.amount)} · {payoutDetails(action.row, t(`method.${action.row.method}`))}
          </p>
          <Form onSubmit={submit} errors={mutation.errors} busy={mutation.fetching}>
            {action.kind === "reject" ? (
              <TextField name="reason" label={t("queue.reason")} hint={t("queue.reasonHint")} value={text} onChange={setText} autoFocus />
            ) : (
              <TextField name="paymentReference" label={t("queue.reference")} hint={t("common.optional")} value={text} onChange={setText} autoFocus />
            )}
            <FormErrors />
            <div className="button-row">
              <button type="button" className="button button-ghost" onClick={close}>
                {t("common.cancel")}
              </button>
              <SubmitButton variant={action.kind === "reject" ? "danger" : "primary"}>
                {action.kind === "reject" ? t("queue.reject") : t("queue.markPaid")}
              </SubmitButton>
            </div>
          </Form>
        </>
      ) : null}
    </Dialog>
  );
}

export default function Withdrawals() {
  const i18n = useI18n();
  const { t } = i18n;
  const [filter, setFilter] = useState<Filter>("REQUESTED");
  const [action, setAction] = useState<Action>(null);
  const [result, reexecute] = useQuery({
    query: WithdrawalsQuery,
    variables: { status: filter === "ALL" ? null : filter, after: null },
    requestPolicy: "cache-and-network",
  });
  const approve = useFormMutation(WithdrawalApproveMutation, (data) => data.withdrawalApprove);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const rows = useLiveWithdrawals(result.data?.withdrawals.edges.map((edge) => edge.node) ?? [], {
    accept: (row) => filter === "ALL" || row.status === filter,
  });
  return (
    <div className="stack">
      <PageHeader title={t("queue.title")} subtitle={t("queue.subtitle")} />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={filter}
          onChange={setFilter}
          options={[
            { value: "REQUESTED", label: t("queue.toReview") },
            { value: "APPROVED", label: t("queue.toPay") },
            { value: "PAID", label: t("withdrawal.PAID") },
            { value: "REJECTED", label: t("withdrawal.REJECTED") },
            { value: "ALL", label: t("common.all") },
          ]}
        />
        <span className="badge badge-success">{t("dashboard.live")}</span>
      </div>
      {approve.errors.length ? (
        <div className="alert alert-error" role="alert">
          {approve.errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <Card>
        <QueryState result={result} retry={refresh}>
          {() =>
            rows.length === 0 ? (
              <Empty title={t("queue.empty")}>{t("queue.emptyHint")}</Empty>
            ) : (
              <div className="table-wrap" tabIndex={0}>
                <table className="table table-stack" data-testid="withdrawal-queue">
                  <caption className="visually-hidden">{t("queue.title")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("common.date")}</th>
                      <th scope="col">{t("queue.affiliate")}</th>
                      <th scope="col" className="numeric">
                        {t("wallet.amount")}
                      </th>
                      <th scope="col">{t("wallet.method")}</th>
                      <th scope="col">{t("common.status")}</th>
                      <th scope="col">{t("common.actions")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((row) => (
                      <tr key={row.id} data-testid="queue-row" data-id={row.id}>
                        <td data-label={t("common.date")}>{i18n.dateTime(row.requestedAt)}</td>
                        <td data-label={t("queue.affiliate")}>{row.affiliateEmail}</td>
                        <td data-label={t("wallet.amount")} className="numeric">{i18n.money(row.amount)}</td>
                        <td data-label={t("wallet.method")}>{payoutDetails(row, t(`method.${row.method}`))}</td>
                        <td data-label={t("common.status")}>
                          <WithdrawalStatusBadge status={row.status} />
                          {row.rejectionReason ? <p className="muted small">{row.rejectionReason}</p> : null}
                        </td>
                        <td data-label={t("common.actions")} className="actions">
                          {row.status === "REQUESTED" ? (
                            <button
                              type="button"
                              className="button button-primary button-small"
                              disabled={approve.fetching}
                              onClick={() => void approve.run({ id: row.id }).then(refresh)}
                            >
                              {t("queue.approve")}
                            </button>
                          ) : null}
                          {row.status === "APPROVED" ? (
                            <button type="button" className="button button-primary button-small" onClick={() => setAction({ kind: "pay", row })}>
                              {t("queue.markPaid")}
                            </button>
                          ) : null}
                          {row.status === "REQUESTED" || row.status === "APPROVED" ? (
                            <button type="button" className="button button-danger button-small" onClick={() => setAction({ kind: "reject", row })}>
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
      </Card>
      <ActionDialog action={action} onClose={() => setAction(null)} onDone={refresh} />
    </div>
  );
}
