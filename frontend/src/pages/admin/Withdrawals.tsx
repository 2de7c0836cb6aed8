import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { QueueErrors, QueueTable } from "../../components/QueueTable";
import { QueryState } from "../../components/states";
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
      <QueueErrors errors={approve.errors} />
      <Card>
        <QueryState result={result} retry={refresh}>
          {() => (
            <QueueTable
              caption={t("queue.title")}
              rows={rows}
              empty={{ title: t("queue.empty"), hint: t("queue.emptyHint") }}
              testId="withdrawal-queue"
              rowTestId="queue-row"
              columns={[
                { label: t("common.date"), cell: (row) => i18n.dateTime(row.requestedAt) },
                { label: t("queue.affiliate"), cell: (row) => row.affiliateEmail },
                { label: t("wallet.amount"), numeric: true, cell: (row) => i18n.money(row.amount) },
                { label: t("wallet.method"), cell: (row) => payoutDetails(row, t(`method.${row.method}`)) },
                {
                  label: t("common.status"),
                  cell: (row) => (
                    <>
                      <WithdrawalStatusBadge status={row.status} />
                      {row.rejectionReason ? <p className="muted small">{row.rejectionReason}</p> : null}
                      {row.holdReason ? <p className="small" data-testid="withdrawal-hold">{t("queue.held", { reason: row.holdReason })}</p> : null}
                    </>
                  ),
                },
                {
                  label: t("common.actions"),
                  actions: true,
                  cell: (row) => (
                    <>
                      {row.status === "REQUESTED" ? (
                        <button
                          type="button"
                          className="button button-primary button-small"
                          disabled={approve.fetching || Boolean(row.holdReason)}
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
                    </>
                  ),
                },
              ]}
            />
          )}
        </QueryState>
      </Card>
      <ActionDialog action={action} onClose={() => setAction(null)} onDone={refresh} />
    </div>
  );
}
