/**
 * The GraphQL client: queries and mutations over HTTP on the same origin (session cookie +
 * CSRF header), subscriptions over the `/graphql/` websocket (graphql-transport-ws). The
 * websocket carries the session cookie of its handshake, so a sign-in or sign-out makes a
 * new client (see `ClientProvider`).
 */
import { cacheExchange, Client, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";

import { CSRF_COOKIE, readCookie } from "./csrf";

export const GRAPHQL_PATH = "/graphql/";

export function websocketUrl(location: Location = window.location): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}${GRAPHQL_PATH}`;
}

export interface AppClient {
  client: Client;
  dispose: () => void;
}

export function createAppClient(): AppClient {
  const ws: WsClient = createWsClient({
    url: websocketUrl(),
    lazy: true,
    // Keep trying: a dev server restart or a flaky network should not end live updates.
    retryAttempts: Infinity,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000 * 2 ** retries, 15000)));
    },
  });
  const client = new Client({
    url: GRAPHQL_PATH,
    preferGetMethod: false,
    fetchOptions: () => {
      const token = readCookie(CSRF_COOKIE);
      const headers: Record<string, string> = token ? { "X-CSRFToken": token } : {};
      return { credentials: "same-origin", headers };
    },
    exchanges: [
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query || "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
  return { client, dispose: () => void ws.dispose() };
}
