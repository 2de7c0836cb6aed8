/**
 * The bell in the app header: my unread count, live. The feed's first message is the count now,
 * then each new notification or read elsewhere (another tab, the phone) updates it; the query
 * covers the moment before the socket answers.
 */
import { Link } from "react-router";
import { useQuery, useSubscription } from "urql";

import { useSession } from "../../app/session";
import { useI18n } from "../../i18n";
import { NotificationFeedSubscription, NotificationUnreadCountQuery } from "./feed";

export function BellIcon() {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
      <path
        fill="currentColor"
        d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
      />
    </svg>
  );
}

export function NotificationBell() {
  const { me, isRoot } = useSession();
  const { t } = useI18n();
  const signedIn = Boolean(me) && !isRoot;
  const [{ data }] = useQuery({ query: NotificationUnreadCountQuery, pause: !signedIn });
  const [{ data: live }] = useSubscription({ query: NotificationFeedSubscription, pause: !signedIn });
  if (!signedIn) return null;
  const count = live?.notificationFeed.unreadCount ?? data?.notificationUnreadCount ?? 0;
  const label = count > 0 ? t("centre.bellUnread", { count }) : t("centre.bell");
  return (
    <Link to="/notifications" className="bell-button" aria-label={label} title={label} data-testid="notification-bell">
      <BellIcon />
      {count > 0 ? (
        <span className="bell-count" data-testid="notification-unread-count" aria-hidden="true">
          {count > 99 ? "99+" : count}
        </span>
      ) : null}
    </Link>
  );
}
