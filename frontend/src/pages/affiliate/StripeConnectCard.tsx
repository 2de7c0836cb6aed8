import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton } from "../../components/form";
import { Badge, Card } from "../../components/ui";
import { graphql } from "../../gql";
import type { StripeConnectStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { useFreshTwoFactor } from "../security/FreshTwoFactor";

export const MyStripeConnectQuery = graphql(`
  query MyStripeConnect {
    myStripeConnect {
      accountId
      status
      detailsSubmitted
      payoutsEnabled
      requirementsDue
      lastPayoutFailure {
        amount
        currency
        code
        message
        at
      }
    }
  }
`);

export const StripeConnectOnboardMutation = graphql(`
  mutation StripeConnectOnboard {
    stripeConnectOnboard {
      url
      account {
        accountId
        status
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const StripeConnectRefreshMutation = graphql(`
  mutation StripeConnectRefresh {
    stripeConnectRefresh {
      account {
        accountId
        status
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

const TONES: Record<StripeConnectStatus, "warning" | "success" | "danger"> = {
  PENDING: "warning",
  VERIFIED: "success",
  RESTRICTED: "danger",
};

/** Where Stripe's hosted onboarding sends the affiliate back: /wallet?stripe=return|refresh. */
function stripeReturn(): string | null {
  return new URLSearchParams(window.location.search).get("stripe");
}

/**
 * "Get paid with Stripe": connect (opens Stripe's onboarding), the account's status, and what
 * Stripe still asks for. Coming back from Stripe (?stripe=return) reads the status back at once;
 * ?stripe=refresh (an expired link) opens a fresh link.
 */
export function StripeConnectCard({ onChange }: { onChange?: (verifiedAccount: string | null) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [mine, refetch] = useQuery({ query: MyStripeConnectQuery, requestPolicy: "cache-and-network" });
  const onboard = useFormMutation(StripeConnectOnboardMutation, (data) => data.stripeConnectOnboard);
  const refresh = useFormMutation(StripeConnectRefreshMutation, (data) => data.stripeConnectRefresh);
  const [opening, setOpening] = useState(false);
  const handled = useRef(false);
  const account = mine.data?.myStripeConnect ?? null;

  const start = async () => {
    const data = await onboard.run({});
    const url = data?.stripeConnectOnboard.url;
    if (url) {
      setOpening(true);
      window.location.assign(url);
    }
  };
  const fresh = useFreshTwoFactor(onboard.errors, start);

  useEffect(() => {
    if (handled.current) return;
    const back = stripeReturn();
    if (!back) return;
    handled.current = true;
    if (back === "refresh") {
      void start();
      return;
    }
    void refresh.run({}).then(() => refetch({ requestPolicy: "network-only" }));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  useEffect(() => {
    onChange?.(account && account.status === "VERIFIED" ? account.accountId : null);
  }, [account, onChange]);

  const label = !account ? t("stripeConnect.connect") : account.status === "VERIFIED" ? t("stripeConnect.update") : t("stripeConnect.continue");
  return (
    <Card
      title={t("stripeConnect.title")}
      actions={
        account ? (
          <span data-testid="stripe-connect-status" data-status={account.status}>
            <Badge tone={TONES[account.status]}>{t(`stripeConnect.status.${account.status}`)}</Badge>
          </span>
        ) : null
      }
    >
      {fresh.dialog}
      <p className="muted">{t("stripeConnect.intro")}</p>
      {account ? (
        <>
          <p className="muted">{t("stripeConnect.account", { account: account.accountId })}</p>
          {account.status === "PENDING" ? <p>{t("stripeConnect.pendingHint")}</p> : null}
          {account.status === "VERIFIED" ? <p>{t("stripeConnect.verifiedHint")}</p> : null}
          <div className="live-region" role="status">
            {account.status === "RESTRICTED" ? (
              <div className="alert alert-warning">
                <p>{t("stripeConnect.restrictedHint")}</p>
                <ul>
                  {account.requirementsDue.map((item) => (
                    <li key={item}>
                      <code>{item}</code>
                    </li>
                  ))}
                </ul>
              </div>
            ) : null}
          </div>
          {account.lastPayoutFailure ? (
            <div className="alert alert-error" role="alert" data-testid="stripe-payout-failed">
              <p>
                {t("stripeConnect.payoutFailed", {
                  amount: i18n.money({ amount: account.lastPayoutFailure.amount, currency: account.lastPayoutFailure.currency }),
                  date: i18n.date(account.lastPayoutFailure.at),
                  message: account.lastPayoutFailure.message,
                })}
              </p>
            </div>
          ) : null}
        </>
      ) : null}
      <Form onSubmit={start} errors={[...onboard.errors, ...refresh.errors]} busy={onboard.fetching || opening} aria-label={t("stripeConnect.title")}>
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{opening ? t("stripeConnect.opening") : label}</SubmitButton>
          {account && account.status !== "VERIFIED" ? (
            <button
              type="button"
              className="button button-ghost"
              disabled={refresh.fetching}
              onClick={() => void refresh.run({}).then(() => refetch({ requestPolicy: "network-only" }))}
            >
              {t("stripeConnect.refresh")}
            </button>
          ) : null}
        </div>
      </Form>
    </Card>
  );
}
