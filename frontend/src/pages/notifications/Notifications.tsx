/**
 * My notifications, newest first: new ones arrive live at the top (the feed carries them whole),
 * unread ones are marked, and reading is one click per item or for all.
 */
import { useCallback, useState } from "react";
import { Link } from "react-router";
import { useMutation, useQuery, useSubscription } from "urql";

import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader, Pager, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { NotificationFeedSubscription as Feed, NotificationFieldsFragment } from "../../gql/graphql";
import { isMessageKey, useI18n } from "../../i18n";
import { NotificationFeedSubscription } from "./feed";

export const MyNotificationsQuery = graphql(`
  query MyNotifications($first: Int!, $after: String, $unreadOnly: Boolean!) {
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...NotificationFields
        }
      }
    }
    notificationUnreadCount
  }
`);

export const NotificationsMarkReadMutation = graphql(`
  mutation NotificationsMarkRead($ids: [ID!]!) {
    notificationsMarkRead(ids: $ids) {
      unreadCount
      errors {
        field
        code
        message
      }
    }
  }
`);

export const NotificationsMarkAllReadMutation = graphql(`
  mutation NotificationsMarkAllRead {
    notificationsMarkAllRead {
      unreadCount
      errors {
        field
        code
        message
      }
    }
  }
`);

const PAGE_SIZE = 20;

export function useKindLabel(): (kind: string, fallback?: string) => string {
  const { t } = useI18n();
  return (kind, fallback) => {
    const key = `notificationKind.${kind}`;
    return isMessageKey(key) ? t(key) : fallback ?? kind;
  };
}

export default function Notifications() {
  const i18n = useI18n();
  const { t } = i18n;
  const kindLabel = useKindLabel();
  const [after, setAfter] = useState<string | null>(null);
  const [filter, setFilter] = useState<"all" | "unread">("all");
  const [result, reexecute] = useQuery({
    query: MyNotificationsQuery,
    variables: { first: PAGE_SIZE, after, unreadOnly: filter === "unread" },
    requestPolicy: "cache-and-network",
  });
  const [, markRead] = useMutation(NotificationsMarkReadMutation);
  const [, markAllRead] = useMutation(NotificationsMarkAllReadMutation);
  const [fresh, setFresh] = useState<NotificationFieldsFragment[]>([]);
  const [readIds, setReadIds] = useState<Set<string>>(new Set());

  const refresh = useCallback(() => {
    setFresh([]);
    reexecute({ requestPolicy: "network-only" });
  }, [reexecute]);

  // New notifications are put on top of the first page as they arrive; a read elsewhere (no
  // notification, a lower count) re-reads the page.
  useSubscription({ query: NotificationFeedSubscription }, (previous: Feed | undefined, update: Feed) => {
    const arrived = update.notificationFeed.notification;
    if (arrived) setFresh((list) => (list.some((item) => item.id === arrived.id) ? list : [arrived, ...list]));
    else if (previous) refresh();
    return update;
  });

  const read = async (ids: string[]) => {
    setReadIds((current) => new Set([...current, ...ids]));
    await markRead({ ids });
  };
  const readAll = async () => {
    await markAllRead({});
    refresh();
  };

  return (
    <div className="stack">
      <PageHeader
        title={t("centre.title")}
        subtitle={t("centre.subtitle")}
        actions={
          <>
            <Link className="button button-ghost" to="/account/notifications">
              {t("centre.settingsLink")}
            </Link>
            <button type="button" className="button button-secondary" onClick={readAll} data-testid="notifications-mark-all">
              {t("centre.markAllRead")}
            </button>
          </>
        }
      />
      <Tabs
        label={t("centre.title")}
        value={filter}
        options={[
          { value: "all", label: t("common.all") },
          { value: "unread", label: t("centre.unreadOnly") },
        ]}
        onChange={(value) => {
          setFilter(value);
          setAfter(null);
          setFresh([]);
        }}
      />
      <QueryState
        result={result}
        retry={() => reexecute({ requestPolicy: "network-only" })}
        isEmpty={(data) => data.notifications.edges.length === 0 && fresh.length === 0}
        empty={
          <Card>
            <Empty title={t("centre.empty")}>{t("centre.emptyHint")}</Empty>
          </Card>
        }
      >
        {(data) => {
          const listed = data.notifications.edges.map((edge) => edge.node);
          const items = after ? listed : [...fresh.filter((item) => !listed.some((node) => node.id === item.id)), ...listed];
          return (
            <>
              <ul className="stack notification-list" data-testid="notifications">
                {items.map((item) => {
                  const unread = !item.readAt && !readIds.has(item.id);
                  return (
                    <li key={item.id} data-testid="notification" data-kind={item.kind} data-unread={unread}>
                      <Card className={unread ? "notification notification-unread" : "notification"}>
                        <p className="notification-head">
                          <span className="muted small">{kindLabel(item.kind)}</span>
                          {unread ? <Badge tone="info">{t("centre.unread")}</Badge> : null}
                        </p>
                        <p>
                          <strong>{item.title}</strong>
                        </p>
                        {item.body ? <p>{item.body}</p> : null}
                        <div className="notification-foot">
                          <span className="muted small">{i18n.dateTime(item.createdAt)}</span>
                          <span className="button-row">
                            {item.url ? (
                              <Link className="button button-ghost button-small" to={item.url} onClick={() => (unread ? read([item.id]) : undefined)}>
                                {t("centre.open")}
                              </Link>
                            ) : null}
                            {unread ? (
                              <button type="button" className="button button-secondary button-small" onClick={() => read([item.id])}>
                                {t("centre.markRead")}
                              </button>
                            ) : null}
                          </span>
                        </div>
                      </Card>
                    </li>
                  );
                })}
              </ul>
              <Pager after={after} pageInfo={data.notifications.pageInfo} onPage={setAfter} />
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
