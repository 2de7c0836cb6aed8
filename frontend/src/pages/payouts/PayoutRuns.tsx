/**
 * Brand admin → Payouts: pay approved withdrawals through their automated provider (one run per
 * provider, after a fresh two-factor code), follow each run's items live (the withdrawals
 * subscription refreshes the runs), and set the automatic approval threshold.
 */
import { useEffect, useMemo, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { PayoutItemStatus, PayoutRunStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { useFreshTwoFactor } from "../security/FreshTwoFactor";
import { payoutDetails, useLiveWithdrawals, WithdrawalsQuery, WithdrawalStatusBadge } from "../shared/withdrawals";

export const PayoutRunFields = graphql(`
  fragment PayoutRunFields on PayoutRun {
    id
    provider
    batchReference
    remoteBatchId
    status
    itemCount
    error
    sendAttempts
    createdAt
    createdByEmail
    totals {
      amount
      currency
    }
    items {
      id
      withdrawalId
      affiliateEmail
      receiver
      amount {
        amount
        currency
      }
      status
      withdrawalStatus
      remoteId
      error
    }
  }
`);

export const PayoutRunsQuery = graphql(`
  query PayoutRuns {
    payoutRuns(first: 20) {
      totalCount
      edges {
        node {
          ...PayoutRunFields
        }
      }
    }
    payoutProviders {
      identifier
      name
      automated
      configured
    }
    payoutSettings {
      autoApproveThreshold
    }
  }
`);

export const PayoutRunCreateMutation = graphql(`
  mutation PayoutRunCreate($ids: [ID!]!) {
    payoutRunCreate(withdrawalIds: $ids) {
      runs {
        ...PayoutRunFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PayoutRunRetryMutation = graphql(`
  mutation PayoutRunRetry($id: ID!) {
    payoutRunRetry(id: $id) {
      run {
        ...PayoutRunFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PayoutRunSyncMutation = graphql(`
  mutation PayoutRunSync($id: ID!) {
    payoutRunSync(id: $id) {
      run {
        ...PayoutRunFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const PayoutSettingsUpdateMutation = graphql(`
  mutation PayoutSettingsUpdate($threshold: Decimal) {
    payoutSettingsUpdate(input: { autoApproveThreshold: $threshold }) {
      settings {
        autoApproveThreshold
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

const RUN_TONES: Record<PayoutRunStatus, "warning" | "info" | "success" | "danger"> = {
  SENDING: "warning",
  SENT: "info",
  COMPLETED: "success",
  REFUSED: "danger",
};

const ITEM_TONES: Record<PayoutItemStatus, "warning" | "info" | "success" | "danger" | "neutral"> = {
  PENDING: "info",
  SUCCEEDED: "success",
  FAILED: "danger",
  RETURNED: "danger",
  CANCELED: "neutral",
};

function ThresholdCard({ threshold, onSaved }: { threshold: string; onSaved: () => void }) {
  const { t } = useI18n();
  const [value, setValue] = useState(threshold);
  const [saved, setSaved] = useState(false);
  useEffect(() => setValue(threshold), [threshold]);
  const save = useFormMutation(PayoutSettingsUpdateMutation, (data) => data.payoutSettingsUpdate);
  const submit = async () => {
    setSaved(false);
    if (await save.run({ threshold: value })) {
      setSaved(true);
      onSaved();
    }
  };
  const fresh = useFreshTwoFactor(save.errors, submit);
  return (
    <Card title={t("payoutRuns.settings")}>
      <Form onSubmit={submit} errors={save.errors} busy={save.fetching} aria-label={t("payoutRuns.settings")}>
        <TextField name="autoApproveThreshold" label={t("payoutRuns.threshold")} hint={t("payoutRuns.thresholdHint")} value={value} onChange={setValue} inputMode="decimal" />
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{t("payoutRuns.save")}</SubmitButton>
          {saved ? <span className="muted" role="status">{t("payoutRuns.saved")}</span> : null}
        </div>
      </Form>
      {fresh.dialog}
    </Card>
  );
}

export default function PayoutRuns() {
  const i18n = useI18n();
  const { t } = i18n;
  const [runsResult, reexecuteRuns] = useQuery({ query: PayoutRunsQuery, requestPolicy: "cache-and-network" });
  const [approvedResult, reexecuteApproved] = useQuery({
    query: WithdrawalsQuery,
    variables: { status: "APPROVED", after: null },
    requestPolicy: "cache-and-network",
  });
  const refresh = () => {
    reexecuteRuns({ requestPolicy: "network-only" });
    reexecuteApproved({ requestPolicy: "network-only" });
  };
  // A withdrawal changed (an item paid, failed, returned): the runs on screen are read again.
  const approved = useLiveWithdrawals(approvedResult.data?.withdrawals.edges.map((edge) => edge.node) ?? [], {
    accept: (row) => row.status === "APPROVED",
    onUpdate: () => reexecuteRuns({ requestPolicy: "network-only" }),
  });
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [pending, setPending] = useState<string[]>([]);
  const create = useFormMutation(PayoutRunCreateMutation, (data) => data.payoutRunCreate);
  const retry = useFormMutation(PayoutRunRetryMutation, (data) => data.payoutRunRetry);
  const sync = useFormMutation(PayoutRunSyncMutation, (data) => data.payoutRunSync);
  const pay = async (ids: string[]) => {
    setPending(ids);
    if (await create.run({ ids })) {
      setSelected(new Set());
      refresh();
    }
  };
  const fresh = useFreshTwoFactor(create.errors, () => pay(pending));
  const [retryTarget, setRetryTarget] = useState<string | null>(null);
  const runRetry = async (id: string) => {
    setRetryTarget(id);
    if (await retry.run({ id })) refresh();
  };
  const freshRetry = useFreshTwoFactor(retry.errors, () => (retryTarget ? runRetry(retryTarget) : undefined));
  const providers = runsResult.data?.payoutProviders ?? [];
  const byMethod = useMemo(() => {
    const groups = new Map<string, typeof approved>();
    for (const row of approved) groups.set(row.method, [...(groups.get(row.method) ?? []), row]);
    return groups;
  }, [approved]);
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const errors = [...create.errors, ...retry.errors, ...sync.errors].filter((error) => error.code !== "FRESH_TWO_FACTOR_REQUIRED");
  return (
    <div className="stack">
      <PageHeader title={t("payoutRuns.title")} subtitle={t("payoutRuns.subtitle")} />
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <Card title={t("payoutRuns.toPay")}>
        <QueryState result={approvedResult} retry={refresh}>
          {() =>
            approved.length === 0 ? (
              <Empty title={t("payoutRuns.noneToPay")} />
            ) : (
              <div className="stack">
                {[...byMethod.entries()].map(([method, rows]) => {
                  const provider = providers.find((p) => p.identifier.toUpperCase() === method);
                  const name = provider?.name ?? t(`method.${method}` as never);
                  const chosen = rows.filter((row) => selected.has(row.id)).map((row) => row.id);
                  return (
                    <section key={method} data-testid="payout-group" data-method={method}>
                      <h3>{name}</h3>
                      {!provider?.automated ? (
                        <p className="muted">{t("payoutRuns.manual")}</p>
                      ) : !provider.configured ? (
                        <p className="muted">{t("payoutRuns.notConfigured", { provider: name })}</p>
                      ) : null}
                      <div className="table-wrap" tabIndex={0}>
                        <table className="table table-stack">
                          <caption className="visually-hidden">{name}</caption>
                          <thead>
                            <tr>
                              <th scope="col">
                                <input
                                  type="checkbox"
                                  aria-label={t("payoutRuns.selectAll", { provider: name })}
                                  disabled={!provider?.automated || !provider.configured}
                                  checked={chosen.length === rows.length}
                                  onChange={() =>
                                    setSelected((current) => {
                                      const next = new Set(current);
                                      const all = chosen.length === rows.length;
                                      for (const row of rows) {
                                        if (all) next.delete(row.id);
                                        else next.add(row.id);
                                      }
                                      return next;
                                    })
                                  }
                                />
                              </th>
                              <th scope="col">{t("queue.affiliate")}</th>
                              <th scope="col" className="numeric">
                                {t("wallet.amount")}
                              </th>
                              <th scope="col">{t("payoutRuns.receiver")}</th>
                            </tr>
                          </thead>
                          <tbody>
                            {rows.map((row) => (
                              <tr key={row.id} data-testid="payout-candidate" data-id={row.id}>
                                <td>
                                  <input
                                    type="checkbox"
                                    aria-label={`${t("payoutRuns.select")} ${row.affiliateEmail}`}
                                    disabled={!provider?.automated || !provider.configured}
                                    checked={selected.has(row.id)}
                                    onChange={() => toggle(row.id)}
                                  />
                                </td>
                                <td data-label={t("queue.affiliate")}>{row.affiliateEmail}</td>
                                <td data-label={t("wallet.amount")} className="numeric">
                                  {i18n.money(row.amount)}
                                </td>
                                <td data-label={t("payoutRuns.receiver")}>{payoutDetails(row, name)}</td>
                              </tr>
                            ))}
                          </tbody>
                        </table>
                      </div>
                      {provider?.automated && provider.configured ? (
                        <div className="button-row">
                          <button
                            type="button"
                            className="button button-primary"
                            disabled={chosen.length === 0 || create.fetching}
                            onClick={() => void pay(chosen)}
                          >
                            {t("payoutRuns.pay", { count: chosen.length, provider: name })}
                          </button>
                        </div>
                      ) : null}
                    </section>
                  );
                })}
              </div>
            )
          }
        </QueryState>
      </Card>
      <Card title={t("payoutRuns.runs")}>
        <QueryState result={runsResult} retry={refresh}>
          {(data) =>
            data.payoutRuns.edges.length === 0 ? (
              <Empty title={t("payoutRuns.noRuns")} />
            ) : (
              <div className="stack">
                {data.payoutRuns.edges.map(({ node: run }) => (
                  <section key={run.id} data-testid="payout-run" data-id={run.id} data-status={run.status}>
                    <h3>
                      {t("payoutRuns.run", { id: run.id })} · {run.provider} · <Badge tone={RUN_TONES[run.status]}>{t(`payoutRuns.status.${run.status}`)}</Badge>
                    </h3>
                    <p className="muted small">
                      {i18n.dateTime(run.createdAt)} · {run.createdByEmail ?? ""} · {t("payoutRuns.items", { count: run.itemCount })} ·{" "}
                      {run.totals.map((total) => i18n.money(total)).join(" + ")} · {t("payoutRuns.batch")} {run.remoteBatchId || run.batchReference}
                      {run.sendAttempts > 1 ? ` · ${t("payoutRuns.attempts", { count: run.sendAttempts })}` : ""}
                    </p>
                    {run.error ? <p className="muted small">{run.error}</p> : null}
                    <div className="button-row">
                      {run.status === "SENDING" ? (
                        <button type="button" className="button button-small" disabled={retry.fetching} onClick={() => void runRetry(run.id)}>
                          {t("payoutRuns.retry")}
                        </button>
                      ) : null}
                      {run.status === "SENT" ? (
                        <button type="button" className="button button-ghost button-small" disabled={sync.fetching} onClick={() => void sync.run({ id: run.id }).then(refresh)}>
                          {t("payoutRuns.sync")}
                        </button>
                      ) : null}
                    </div>
                    <div className="table-wrap" tabIndex={0}>
                      <table className="table table-stack">
                        <caption className="visually-hidden">{t("payoutRuns.run", { id: run.id })}</caption>
                        <thead>
                          <tr>
                            <th scope="col">{t("queue.affiliate")}</th>
                            <th scope="col" className="numeric">
                              {t("wallet.amount")}
                            </th>
                            <th scope="col">{t("payoutRuns.itemStatus")}</th>
                            <th scope="col">{t("common.status")}</th>
                          </tr>
                        </thead>
                        <tbody>
                          {run.items.map((item) => (
                            <tr key={item.id} data-testid="payout-item" data-status={item.status}>
                              <td data-label={t("queue.affiliate")}>
                                {item.affiliateEmail}
                                <p className="muted small">{item.receiver}</p>
                              </td>
                              <td data-label={t("wallet.amount")} className="numeric">
                                {i18n.money(item.amount)}
                              </td>
                              <td data-label={t("payoutRuns.itemStatus")}>
                                <Badge tone={ITEM_TONES[item.status]}>{t(`payoutRuns.item.${item.status}`)}</Badge>
                                {item.error ? <p className="muted small">{item.error}</p> : null}
                              </td>
                              <td data-label={t("common.status")}>
                                <WithdrawalStatusBadge status={item.withdrawalStatus} />
                              </td>
                            </tr>
                          ))}
                        </tbody>
                      </table>
                    </div>
                  </section>
                ))}
              </div>
            )
          }
        </QueryState>
      </Card>
      {runsResult.data ? <ThresholdCard threshold={String(runsResult.data.payoutSettings.autoApproveThreshold)} onSaved={refresh} /> : null}
      {fresh.dialog}
      {freshRetry.dialog}
    </div>
  );
}
