/** The notification centre's GraphQL documents shared by the bell and the pages. */
import { graphql } from "../../gql";

export const NotificationFeedSubscription = graphql(`
  subscription NotificationFeed {
    notificationFeed {
      unreadCount
      notification {
        ...NotificationFields
      }
    }
  }

  fragment NotificationFields on Notification {
    id
    kind
    title
    body
    url
    createdAt
    readAt
  }
`);

export const NotificationUnreadCountQuery = graphql(`
  query NotificationUnreadCount {
    notificationUnreadCount
  }
`);
