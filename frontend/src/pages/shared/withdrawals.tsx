/** Withdrawals, shared by the affiliate's wallet and the brand admin's queue, kept live. */
import { useEffect, useMemo, useState } from "react";
import { useSubscription } from "urql";

import { Badge } from "../../components/ui";
import { graphql } from "../../gql";
import type { WithdrawalFieldsFragment, WithdrawalStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const WithdrawalFields = graphql(`
  fragment WithdrawalFields on Withdrawal {
    id
    programId
    affiliateId
    affiliateEmail
    amount {
      amount
      currency
    }
    method
    details
    status
    requestedAt
    decidedAt
    paidAt
    paymentReference
    rejectionReason
    failureReason
    holdReason
    payout {
      runId
      provider
      status
      error
    }
  }
`);

export const WithdrawalsQuery = graphql(`
  query Withdrawals($status: WithdrawalStatus, $after: String) {
    withdrawals(status: $status, first: 50, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...WithdrawalFields
        }
      }
    }
  }
`);

export const WithdrawalUpdatedSubscription = graphql(`
  subscription WithdrawalUpdated {
    withdrawalUpdated {
      ...WithdrawalFields
    }
  }
`);

export type WithdrawalRow = WithdrawalFieldsFragment;

/**
 * ``rows`` with what `withdrawalUpdated` said since: changed statuses in place, new
 * withdrawals first (when ``accept`` keeps them, e.g. the filter of the list on screen).
 * ``onUpdate`` runs on every event (to refresh balances).
 */
export function useLiveWithdrawals(
  rows: WithdrawalRow[],
  { accept = () => true, onUpdate }: { accept?: (row: WithdrawalRow) => boolean; onUpdate?: (row: WithdrawalRow) => void } = {},
): WithdrawalRow[] {
  const [updates, setUpdates] = useState<Map<string, WithdrawalRow>>(new Map());
  const [{ data }] = useSubscription({ query: WithdrawalUpdatedSubscription });
  useEffect(() => {
    const row = data?.withdrawalUpdated;
    if (!row) return;
    setUpdates((current) => new Map(current).set(row.id, row));
    onUpdate?.(row);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data]);
  return useMemo(() => {
    const known = new Set(rows.map((row) => row.id));
    const fresh = [...updates.values()].filter((row) => !known.has(row.id) && accept(row));
    fresh.sort((a, b) => b.requestedAt.localeCompare(a.requestedAt));
    const merged = rows.map((row) => updates.get(row.id) ?? row).filter((row) => !updates.has(row.id) || accept(row));
    return [...fresh, ...merged];
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [rows, updates]);
}

const TONES: Record<WithdrawalStatus, "warning" | "info" | "success" | "danger"> = {
  REQUESTED: "warning",
  APPROVED: "info",
  PROCESSING: "info",
  PAID: "success",
  FAILED: "danger",
  REJECTED: "danger",
};

export function WithdrawalStatusBadge({ status }: { status: WithdrawalStatus }) {
  const { t } = useI18n();
  return (
    <span data-testid="withdrawal-status" data-status={status}>
      <Badge tone={TONES[status]}>{t(`withdrawal.${status}`)}</Badge>
    </span>
  );
}

/** "PayPal · me@example.com", "Stripe · acct_…" or "Bank transfer · FR76 …606". */
export function payoutDetails(row: WithdrawalRow, methodLabel: string): string {
  const details = (row.details ?? {}) as Record<string, string>;
  if (row.method === "PAYPAL") return `${methodLabel} · ${details.email ?? ""}`;
  if (row.method === "STRIPE") return `${methodLabel} · ${details.account ?? ""}`;
  const iban = details.iban ?? "";
  const masked = iban.length > 8 ? `${iban.slice(0, 4)} … ${iban.slice(-4)}` : iban;
  return `${methodLabel} · ${masked}${details.account_holder ? ` · ${details.account_holder}` : ""}`;
}
