import { useCallback, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useFreshTwoFactor } from "../security/FreshTwoFactor";
import { ChoiceGroup, Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Card, PageHeader, StatCard } from "../../components/ui";
import { graphql } from "../../gql";
import type { WithdrawalMethod } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { payoutDetails, useLiveWithdrawals, WithdrawalsQuery, WithdrawalStatusBadge, type WithdrawalRow } from "../shared/withdrawals";
import { StatementsCard } from "../statements/Statements";
import { MembershipGate, type MembershipContext } from "./membership";
import { StripeConnectCard } from "./StripeConnectCard";

export const BalanceQuery = graphql(`
  query Balance($programId: ID!) {
    myBalance(programId: $programId) {
      pending {
        amount
        currency
      }
      available {
        amount
        currency
      }
      reserved {
        amount
        currency
      }
      paid {
        amount
        currency
      }
    }
  }
`);

export const WithdrawalRequestMutation = graphql(`
  mutation WithdrawalRequest($input: WithdrawalRequestInput!) {
    withdrawalRequest(input: $input) {
      withdrawal {
        ...WithdrawalFields
      }
      errors {
        field
        code
        message
        params {
          name
          value
        }
      }
    }
  }
`);

/** What is wrong with an amount typed in the withdrawal form, as an error code, or null. */
export function amountProblem(value: string): "REQUIRED" | "INVALID_AMOUNT" | null {
  if (value === "") return "REQUIRED";
  return /^\d+(\.\d+)?$/.test(value) && Number(value) > 0 ? null : "INVALID_AMOUNT";
}

function RequestForm({
  program,
  available,
  onRequested,
  stripeAccount,
}: {
  program: MembershipContext["program"];
  available: string | null;
  onRequested: () => void;
  stripeAccount: string | null;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const [amount, setAmount] = useState("");
  const [method, setMethod] = useState<WithdrawalMethod>(program.withdrawalMethods[0] ?? "PAYPAL");
  const [email, setEmail] = useState("");
  const [iban, setIban] = useState("");
  const [bic, setBic] = useState("");
  const [accountHolder, setAccountHolder] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const request = useFormMutation(WithdrawalRequestMutation, (data) => data.withdrawalRequest);
  const submit = async () => {
    setDone(null);
    const value = amount.trim().replace(",", ".");
    // The API types the amount as a Decimal: an empty or non-numeric one would come back as a
    // GraphQL coercion error, so it is caught here and shown at the field, with a code.
    const problem = amountProblem(value);
    if (problem) {
      request.setErrors([{ field: "amount", code: problem, message: "" }]);
      return;
    }
    // Stripe: the server takes the user's own verified connected account, never a client value.
    const details = method === "PAYPAL" ? { email } : method === "STRIPE" ? {} : { iban, bic, accountHolder };
    const data = await request.run({ input: { programId: program.id, amount: value, method, details } });
    const withdrawal = data?.withdrawalRequest.withdrawal;
    if (withdrawal) {
      setDone(i18n.money(withdrawal.amount));
      setAmount("");
      onRequested();
    }
  };
  const fresh = useFreshTwoFactor(request.errors, submit);
  return (
    <Card title={t("wallet.requestTitle")}>
      {fresh.dialog}
      <div className="live-region" role="status">
        {done ? (
          <div className="alert alert-success" data-testid="withdrawal-requested">
            <p>{t("wallet.requested", { amount: done })}</p>
          </div>
        ) : null}
      </div>
      <Form onSubmit={submit} errors={request.errors} busy={request.fetching} aria-label={t("wallet.requestTitle")}>
        <TextField
          name="amount"
          label={t("wallet.amount")}
          inputMode="decimal"
          value={amount}
          onChange={setAmount}
          suffix={program.currency}
          hint={t("wallet.minimumHint", { minimum: i18n.money(program.minimumWithdrawal) })}
        />
        {available && Number(available) > 0 ? (
          <button type="button" className="button button-ghost button-small" onClick={() => setAmount(available)}>
            {t("wallet.all", { amount: i18n.money({ amount: available, currency: program.currency }) })}
          </button>
        ) : null}
        <ChoiceGroup
          name="method"
          type="radio"
          legend={t("wallet.method")}
          value={[method]}
          onChange={(value) => setMethod(value[0] as WithdrawalMethod)}
          options={program.withdrawalMethods.map((item) => ({ value: item, label: t(`method.${item}`) }))}
        />
        {method === "STRIPE" ? (
          <p className="muted" data-testid="stripe-method-hint">
            {stripeAccount ? t("stripeConnect.methodHint", { account: stripeAccount }) : t("stripeConnect.methodNotReady")}
          </p>
        ) : method === "PAYPAL" ? (
          <TextField name="details.email" type="email" label={t("wallet.paypalEmail")} value={email} onChange={setEmail} autoComplete="email" />
        ) : (
          <>
            <TextField name="details.accountHolder" label={t("wallet.holder")} value={accountHolder} onChange={setAccountHolder} autoComplete="name" />
            <TextField name="details.iban" label={t("wallet.iban")} value={iban} onChange={setIban} placeholder="FR76 3000 6000 0112 3456 7890 189" />
            <TextField name="details.bic" label={t("wallet.bic")} hint={t("common.optional")} value={bic} onChange={setBic} />
          </>
        )}
        <FormErrors />
        <SubmitButton>{t("wallet.requestButton")}</SubmitButton>
      </Form>
    </Card>
  );
}

function History({ rows }: { rows: WithdrawalRow[] }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (rows.length === 0) return <Empty title={t("wallet.noWithdrawals")}>{t("wallet.noWithdrawalsHint")}</Empty>;
  return (
    <div className="table-wrap" tabIndex={0}>
      <table className="table" data-testid="withdrawal-history">
        <caption className="visually-hidden">{t("wallet.history")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("common.date")}</th>
            <th scope="col" className="numeric">
              {t("wallet.amount")}
            </th>
            <th scope="col">{t("wallet.method")}</th>
            <th scope="col">{t("common.status")}</th>
            <th scope="col">{t("common.note")}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.id} data-testid="withdrawal-row" data-id={row.id}>
              <td>{i18n.dateTime(row.requestedAt)}</td>
              <td className="numeric">{i18n.money(row.amount)}</td>
              <td>{payoutDetails(row, t(`method.${row.method}`))}</td>
              <td>
                <WithdrawalStatusBadge status={row.status} />
              </td>
              <td className="muted">{row.rejectionReason || row.failureReason || (row.status === "PROCESSING" ? row.payout?.error : "") || row.paymentReference || (row.paidAt ? i18n.date(row.paidAt) : "")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function WalletPage({ program, picker }: MembershipContext) {
  const i18n = useI18n();
  const { t } = i18n;
  const [balance, refreshBalance] = useQuery({ query: BalanceQuery, variables: { programId: program.id }, requestPolicy: "cache-and-network" });
  const [history, refreshHistory] = useQuery({ query: WithdrawalsQuery, variables: { status: null, after: null }, requestPolicy: "cache-and-network" });
  const refresh = useCallback(() => {
    refreshBalance({ requestPolicy: "network-only" });
    refreshHistory({ requestPolicy: "network-only" });
  }, [refreshBalance, refreshHistory]);
  const rows = useLiveWithdrawals(history.data?.withdrawals.edges.map((edge) => edge.node) ?? [], {
    accept: (row) => row.programId === program.id,
    onUpdate: () => refreshBalance({ requestPolicy: "network-only" }),
  });
  const money = balance.data?.myBalance;
  const [stripeAccount, setStripeAccount] = useState<string | null>(null);
  const offersStripe = program.withdrawalMethods.includes("STRIPE");
  return (
    <div className="stack">
      <PageHeader title={t("wallet.title")} subtitle={t("wallet.subtitle")} actions={picker} />
      <div className="stat-grid">
        <StatCard testId="balance-available" label={t("wallet.available")} value={money ? i18n.money(money.available) : "…"} />
        <StatCard label={t("wallet.pending")} value={money ? i18n.money(money.pending) : "…"} hint={t("wallet.pendingHint", { days: program.holdDays })} />
        <StatCard label={t("wallet.reserved")} value={money ? i18n.money(money.reserved) : "…"} hint={t("wallet.reservedHint")} />
        <StatCard label={t("wallet.paid")} value={money ? i18n.money(money.paid) : "…"} />
      </div>
      <div className="grid grid-sidebar">
        <div className="stack">
          <RequestForm program={program} available={money?.available.amount ?? null} onRequested={refresh} stripeAccount={stripeAccount} />
          {offersStripe ? <StripeConnectCard onChange={setStripeAccount} /> : null}
        </div>
        <Card title={t("wallet.history")} actions={<span className="badge badge-success">{t("dashboard.live")}</span>}>
          <QueryState result={history} retry={refresh}>
            {() => <History rows={rows.filter((row) => row.programId === program.id)} />}
          </QueryState>
        </Card>
      </div>
      <StatementsCard />
    </div>
  );
}

export default function Wallet() {
  return <MembershipGate>{(context) => <WalletPage {...context} />}</MembershipGate>;
}
