/**
 * The audit log: a brand's for its admins (on the brand's host), the platform's for operators
 * (on the root domain). The server decides which log by the host; this page is the same.
 */
import { useState, type FormEvent } from "react";
import { useQuery } from "urql";

import { Empty, QueryState } from "../../components/states";
import { Card, PageHeader, Pager } from "../../components/ui";
import { graphql } from "../../gql";
import type { AuditEventFilter } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { useAuditActionLabel } from "./labels";

export const AuditEventsQuery = graphql(`
  query AuditEvents($filter: AuditEventFilter, $first: Int!, $after: String) {
    auditEvents(filter: $filter, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          action
          actorId
          actorEmail
          subjectId
          targetType
          targetId
          before
          after
          data
          ip
          userAgent
          createdAt
        }
      }
    }
  }
`);

const PAGE_SIZE = 50;

interface FilterForm {
  actorEmail: string;
  action: string;
  targetType: string;
  targetId: string;
  from: string;
  to: string;
}

const EMPTY: FilterForm = { actorEmail: "", action: "", targetType: "", targetId: "", from: "", to: "" };

/** Dates from the form (yyyy-mm-dd, the browser's day) as the API's ISO date-times. */
function toFilter(form: FilterForm): AuditEventFilter {
  const day = (value: string) => (value ? new Date(`${value}T00:00:00`).toISOString() : null);
  const nextDay = (value: string) => {
    if (!value) return null;
    const date = new Date(`${value}T00:00:00`);
    date.setDate(date.getDate() + 1);
    return date.toISOString();
  };
  return {
    actorEmail: form.actorEmail.trim() || null,
    action: form.action.trim() || null,
    targetType: form.targetType.trim() || null,
    targetId: form.targetId.trim() || null,
    start: day(form.from),
    end: nextDay(form.to),
  };
}

export function exportUrl(filter: AuditEventFilter): string {
  const params = new URLSearchParams();
  const add = (name: string, value: unknown) => {
    if (value) params.set(name, String(value));
  };
  add("actorEmail", filter.actorEmail);
  add("action", filter.action);
  add("targetType", filter.targetType);
  add("targetId", filter.targetId);
  add("from", filter.start);
  add("to", filter.end);
  const query = params.toString();
  return `/audit/export.csv${query ? `?${query}` : ""}`;
}

function Json({ value }: { value: unknown }) {
  if (value === null || value === undefined) return null;
  if (typeof value === "object" && Object.keys(value as object).length === 0) return null;
  return <code className="small">{JSON.stringify(value)}</code>;
}

export default function AuditLog({ operator = false }: { operator?: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const label = useAuditActionLabel();
  const [form, setForm] = useState<FilterForm>(EMPTY);
  const [filter, setFilter] = useState<AuditEventFilter>(toFilter(EMPTY));
  const [after, setAfter] = useState<string | null>(null);
  const [result, reexecute] = useQuery({
    query: AuditEventsQuery,
    variables: { filter, first: PAGE_SIZE, after },
    requestPolicy: "cache-and-network",
  });
  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilter(toFilter(form));
    setAfter(null);
  };
  const reset = () => {
    setForm(EMPTY);
    setFilter(toFilter(EMPTY));
    setAfter(null);
  };
  const field = (name: keyof FilterForm, text: string, type = "text", hint?: string) => (
    <div className="field">
      <label htmlFor={`audit-${name}`}>{text}</label>
      <input
        id={`audit-${name}`}
        name={name}
        type={type}
        value={form[name]}
        title={hint}
        onChange={(event) => setForm({ ...form, [name]: event.target.value })}
      />
    </div>
  );
  return (
    <div className="stack">
      <PageHeader
        title={t("audit.title")}
        subtitle={operator ? t("audit.operatorSubtitle") : t("audit.subtitle")}
        actions={
          <a className="button button-secondary" href={exportUrl(filter)} data-testid="audit-export">
            {t("audit.export")}
          </a>
        }
      />
      <Card title={t("audit.filters")}>
        <form className="grid-form" onSubmit={apply} aria-label={t("audit.filters")}>
          {field("actorEmail", t("audit.actor"))}
          {field("action", t("audit.action"), "text", t("audit.actionHint"))}
          {field("targetType", t("audit.targetType"))}
          {field("targetId", t("audit.targetId"))}
          {field("from", t("audit.from"), "date")}
          {field("to", t("audit.to"), "date")}
          <div className="button-row">
            <button type="submit" className="button button-primary">
              {t("audit.apply")}
            </button>
            <button type="button" className="button button-ghost" onClick={reset}>
              {t("audit.reset")}
            </button>
          </div>
        </form>
      </Card>
      <QueryState
        result={result}
        retry={() => reexecute({ requestPolicy: "network-only" })}
        isEmpty={(data) => data.auditEvents.edges.length === 0}
        empty={
          <Card>
            <Empty title={t("audit.empty")}>{t("audit.emptyHint")}</Empty>
          </Card>
        }
      >
        {(data) => (
          <>
            <p className="muted small">{t("audit.count", { count: data.auditEvents.totalCount })}</p>
            <div className="table-wrap" tabIndex={0}>
              <table className="table" data-testid="audit-events">
                <caption className="visually-hidden">{t("audit.events")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("audit.when")}</th>
                    <th scope="col">{t("audit.who")}</th>
                    <th scope="col">{t("audit.what")}</th>
                    <th scope="col">{t("audit.object")}</th>
                    <th scope="col">{t("audit.origin")}</th>
                    <th scope="col">{t("audit.details")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.auditEvents.edges.map(({ node }) => (
                    <tr key={node.id} data-testid="audit-event" data-action={node.action}>
                      <td>{i18n.dateTime(node.createdAt)}</td>
                      <td>{node.actorEmail || (node.actorId ? `#${node.actorId}` : node.ip ? t("audit.anonymous") : t("audit.system"))}</td>
                      <td>
                        <span title={node.action}>{label(node.action)}</span>
                      </td>
                      <td>{node.targetType ? `${node.targetType} #${node.targetId}` : ""}</td>
                      <td>
                        {node.ip ?? ""}
                        {node.userAgent ? <span className="muted small block">{node.userAgent}</span> : null}
                      </td>
                      <td>
                        {node.before ? (
                          <span className="block">
                            {t("audit.before")}: <Json value={node.before} />
                          </span>
                        ) : null}
                        {node.after ? (
                          <span className="block">
                            {t("audit.after")}: <Json value={node.after} />
                          </span>
                        ) : null}
                        <Json value={node.data} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager after={after} pageInfo={data.auditEvents.pageInfo} onPage={setAfter} />
          </>
        )}
      </QueryState>
    </div>
  );
}
