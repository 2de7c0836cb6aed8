/** The signed-in user's Security activity: the security events of their own account. */
import { useState } from "react";
import { useQuery } from "urql";

import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader, Pager } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";
import { useAuditActionLabel } from "./labels";

export const MySecurityEventsQuery = graphql(`
  query MySecurityEvents($first: Int!, $after: String) {
    mySecurityEvents(first: $first, after: $after) {
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
          ip
          userAgent
          createdAt
        }
      }
    }
  }
`);

const PAGE_SIZE = 30;

export default function SecurityActivity() {
  const i18n = useI18n();
  const { t } = i18n;
  const label = useAuditActionLabel();
  const [after, setAfter] = useState<string | null>(null);
  const [result, reexecute] = useQuery({
    query: MySecurityEventsQuery,
    variables: { first: PAGE_SIZE, after },
    requestPolicy: "cache-and-network",
  });
  return (
    <div className="stack">
      <PageHeader title={t("security.title")} subtitle={t("security.subtitle")} />
      <QueryState
        result={result}
        retry={() => reexecute({ requestPolicy: "network-only" })}
        isEmpty={(data) => data.mySecurityEvents.edges.length === 0}
        empty={
          <Card>
            <Empty title={t("security.empty")}>{t("security.emptyHint")}</Empty>
          </Card>
        }
      >
        {(data) => (
          <>
            <ul className="stack" data-testid="security-events">
              {data.mySecurityEvents.edges.map(({ node }) => (
                <li key={node.id} data-testid="security-event" data-action={node.action}>
                  <Card>
                    <p>
                      <strong title={node.action}>{label(node.action)}</strong>{" "}
                      {node.action.endsWith("_failed") ? <Badge tone="danger">!</Badge> : null}
                      {node.actorId && node.actorId !== node.subjectId ? (
                        <span className="muted"> {t("security.byOther", { email: node.actorEmail })}</span>
                      ) : null}
                    </p>
                    <p className="muted small">
                      {i18n.dateTime(node.createdAt)} · {node.ip ?? t("security.unknownIp")}
                      {node.userAgent ? ` · ${node.userAgent}` : null}
                    </p>
                  </Card>
                </li>
              ))}
            </ul>
            <Pager after={after} pageInfo={data.mySecurityEvents.pageInfo} onPage={setAfter} />
          </>
        )}
      </QueryState>
    </div>
  );
}
