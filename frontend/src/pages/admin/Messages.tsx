import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader, Pager, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { ContactMessageStatus } from "../../gql/graphql";
import { useErrorMessage } from "../../components/form";
import { useI18n } from "../../i18n";

export const ContactMessagesQuery = graphql(`
  query ContactMessages($status: ContactMessageStatus, $first: Int!, $after: String) {
    contactMessages(status: $status, first: $first, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...ContactMessageFields
        }
      }
    }
  }

  fragment ContactMessageFields on ContactMessage {
    id
    name
    email
    subject
    message
    locale
    status
    createdAt
    userEmail
  }
`);

export const ContactMessageStatusSetMutation = graphql(`
  mutation ContactMessageStatusSet($id: ID!, $status: ContactMessageStatus!) {
    contactMessageStatusSet(id: $id, status: $status) {
      contactMessage {
        ...ContactMessageFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Filter = ContactMessageStatus | "ALL";
const PAGE_SIZE = 20;
const TONES = { NEW: "info", ANSWERED: "success", CLOSED: "neutral" } as const;

export default function Messages() {
  const i18n = useI18n();
  const { t } = i18n;
  const message = useErrorMessage();
  const [filter, setFilter] = useState<Filter>("NEW");
  const [after, setAfter] = useState<string | null>(null);
  const [result, reexecute] = useQuery({
    query: ContactMessagesQuery,
    variables: { status: filter === "ALL" ? null : filter, first: PAGE_SIZE, after },
    requestPolicy: "cache-and-network",
  });
  const setStatus = useFormMutation(ContactMessageStatusSetMutation, (data) => data.contactMessageStatusSet);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const change = (id: string, status: ContactMessageStatus) => void setStatus.run({ id, status }).then(refresh);
  const choose = (value: Filter) => {
    setFilter(value);
    setAfter(null);
  };
  return (
    <div className="stack">
      <PageHeader title={t("messages.title")} subtitle={t("messages.subtitle")} />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={filter}
          onChange={choose}
          options={[
            { value: "NEW", label: t("messageStatus.NEW") },
            { value: "ANSWERED", label: t("messageStatus.ANSWERED") },
            { value: "CLOSED", label: t("messageStatus.CLOSED") },
            { value: "ALL", label: t("common.all") },
          ]}
        />
      </div>
      {setStatus.errors.length ? (
        <div className="alert alert-error" role="alert">
          {setStatus.errors.map((error, index) => (
            <p key={index}>{message(error)}</p>
          ))}
        </div>
      ) : null}
      <QueryState
        result={result}
        retry={refresh}
        isEmpty={(data) => data.contactMessages.edges.length === 0}
        empty={
          <Card>
            <Empty title={t("messages.empty")}>{t("messages.emptyHint")}</Empty>
          </Card>
        }
      >
        {(data) => (
          <>
            <ul className="stack message-list" data-testid="contact-messages">
              {data.contactMessages.edges.map(({ node }) => (
                <li key={node.id} data-testid="contact-message" data-id={node.id}>
                  <Card
                    title={node.subject}
                    actions={<Badge tone={TONES[node.status]}>{t(`messageStatus.${node.status}`)}</Badge>}
                  >
                    <p className="muted small">
                      {t("messages.from")} {node.name} &lt;{node.email}&gt; · {i18n.dateTime(node.createdAt)} ·{" "}
                      {node.locale.toUpperCase()}
                      {node.userEmail ? ` · ${t("messages.account", { email: node.userEmail })}` : null}
                    </p>
                    <p style={{ whiteSpace: "pre-wrap" }}>{node.message}</p>
                    <div className="button-row">
                      <a className="button button-secondary button-small" href={`mailto:${node.email}?subject=${encodeURIComponent(`Re: ${node.subject}`)}`}>
                        {t("messages.reply")}
                      </a>
                      {node.status === "NEW" ? (
                        <button type="button" className="button button-primary button-small" disabled={setStatus.fetching} onClick={() => change(node.id, "ANSWERED")}>
                          {t("messages.markAnswered")}
                        </button>
                      ) : null}
                      {node.status !== "CLOSED" ? (
                        <button type="button" className="button button-ghost button-small" disabled={setStatus.fetching} onClick={() => change(node.id, "CLOSED")}>
                          {t("messages.close")}
                        </button>
                      ) : (
                        <button type="button" className="button button-ghost button-small" disabled={setStatus.fetching} onClick={() => change(node.id, "NEW")}>
                          {t("messages.reopen")}
                        </button>
                      )}
                    </div>
                  </Card>
                </li>
              ))}
            </ul>
            <Pager after={after} pageInfo={data.contactMessages.pageInfo} onPage={setAfter} />
          </>
        )}
      </QueryState>
    </div>
  );
}
