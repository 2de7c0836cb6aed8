import { Fragment, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { FraudCaseStatus, FraudDecision } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const FraudCasesQuery = graphql(`
  query FraudCases($status: FraudCaseStatus, $after: String) {
    fraudCases(status: $status, first: 50, after: $after) {
      totalCount
      edges {
        node {
          id
          kind
          status
          action
          score
          ruleCodes
          affiliateEmail
          affiliateStatus
          programName
          orderId
          amount {
            amount
            currency
          }
          clickCount
          reasons {
            code
            action
            facts
          }
          reviewerEmail
          decidedAt
          createdAt
        }
      }
    }
  }
`);

export const FraudCaseDecideMutation = graphql(`
  mutation FraudCaseDecide($input: FraudCaseDecideInput!) {
    fraudCaseDecide(input: $input) {
      case {
        id
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

const ACTION_TONES = { FLAG: "info", HOLD: "warning", REJECT: "danger" } as const;

export default function FraudQueue() {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState<FraudCaseStatus>("OPEN");
  const [open, setOpen] = useState<string | null>(null);
  const [result, reexecute] = useQuery({ query: FraudCasesQuery, variables: { status, after: null }, requestPolicy: "cache-and-network" });
  const decide = useFormMutation(FraudCaseDecideMutation, (data) => data.fraudCaseDecide);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const run = (id: string, decision: FraudDecision) => void decide.run({ input: { id, decision } }).then(refresh);
  const rows = result.data?.fraudCases.edges.map((edge) => edge.node) ?? [];
  return (
    <div className="stack">
      <PageHeader title={t("fraud.title")} subtitle={t("fraud.subtitle")} />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={status}
          onChange={setStatus}
          options={(["OPEN", "APPROVED", "REJECTED"] as const).map((value) => ({ value, label: t(`fraud.status.${value}`) }))}
        />
      </div>
      {decide.errors.length ? (
        <div className="alert alert-error" role="alert">
          {decide.errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <Card>
        <QueryState result={result} retry={refresh}>
          {() =>
            rows.length === 0 ? (
              <Empty title={t("fraud.empty")}>{t("fraud.emptyHint")}</Empty>
            ) : (
              <div className="table-wrap" tabIndex={0}>
                <table className="table table-stack" data-testid="fraud-queue">
                  <caption className="visually-hidden">{t("fraud.title")}</caption>
                  <thead>
                    <tr>
                      <th scope="col">{t("common.date")}</th>
                      <th scope="col">{t("fraud.kindColumn")}</th>
                      <th scope="col">{t("fraud.affiliate")}</th>
                      <th scope="col" className="numeric">
                        {t("fraud.score")}
                      </th>
                      <th scope="col">{t("fraud.rules")}</th>
                      <th scope="col">{t("fraud.actionColumn")}</th>
                      <th scope="col">{t("common.actions")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((row) => (
                      <Fragment key={row.id}>
                        <tr data-testid="fraud-row" data-id={row.id}>
                          <td data-label={t("common.date")}>{i18n.dateTime(row.createdAt)}</td>
                          <td data-label={t("fraud.kindColumn")}>
                            {t(`fraud.kind.${row.kind}`)}
                            {row.orderId ? <span className="muted small"> · {row.orderId}</span> : null}
                            {row.amount ? <span className="muted small"> · {i18n.money(row.amount)}</span> : null}
                            {row.clickCount ? <span className="muted small"> · {t("fraud.clicks", { count: row.clickCount })}</span> : null}
                          </td>
                          <td data-label={t("fraud.affiliate")}>
                            {row.affiliateEmail}
                            <span className="muted small"> · {row.programName}</span>
                          </td>
                          <td data-label={t("fraud.score")} className="numeric">
                            {row.score}
                          </td>
                          <td data-label={t("fraud.rules")}>
                            <code>{row.ruleCodes.join(", ")}</code>
                          </td>
                          <td data-label={t("fraud.actionColumn")}>
                            <Badge tone={ACTION_TONES[row.action]}>{t(`fraud.action.${row.action}`)}</Badge>
                          </td>
                          <td data-label={t("common.actions")} className="actions">
                            <button type="button" className="button button-ghost button-small" onClick={() => setOpen(open === row.id ? null : row.id)}>
                              {open === row.id ? t("fraud.hideDetails") : t("fraud.details")}
                            </button>
                            {row.status === "OPEN" ? (
                              <>
                                <button type="button" className="button button-primary button-small" disabled={decide.fetching} onClick={() => run(row.id, "APPROVE")}>
                                  {t("fraud.approve")}
                                </button>
                                <button type="button" className="button button-danger button-small" disabled={decide.fetching} onClick={() => run(row.id, "REJECT")}>
                                  {t("fraud.reject")}
                                </button>
                              </>
                            ) : row.reviewerEmail ? (
                              <span className="muted small">{t("fraud.decidedBy", { email: row.reviewerEmail })}</span>
                            ) : null}
                            {row.affiliateStatus !== "suspended" ? (
                              <button type="button" className="button button-danger button-small" disabled={decide.fetching} onClick={() => run(row.id, "BAN")}>
                                {t("fraud.ban")}
                              </button>
                            ) : null}
                          </td>
                        </tr>
                        {open === row.id ? (
                          <tr>
                            <td colSpan={7}>
                              <strong>{t("fraud.reasons")}</strong>
                              <ul>
                                {row.reasons.map((reason, index) => (
                                  <li key={index}>
                                    <code>{reason.code}</code> ({t(`fraud.action.${reason.action}`)}): <code>{JSON.stringify(reason.facts)}</code>
                                  </li>
                                ))}
                              </ul>
                            </td>
                          </tr>
                        ) : null}
                      </Fragment>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
      </Card>
    </div>
  );
}
