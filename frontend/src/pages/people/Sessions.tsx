import { useMutation, useQuery } from "urql";
import { Link } from "react-router";

import { QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { SessionRowFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const MySessionsQuery = graphql(`
  query MySessions {
    mySessions {
      ...SessionRow
    }
  }
`);

export const SessionRowFields = graphql(`
  fragment SessionRow on UserSession {
    id
    createdAt
    lastSeenAt
    ipNetwork
    country
    deviceType
    browser
    os
    isCurrent
  }
`);

export const SessionRevokeMutation = graphql(`
  mutation SessionRevoke($id: ID!) {
    sessionRevoke(id: $id) {
      session {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export type SessionRowData = SessionRowFragment;

const DEVICES = ["desktop", "mobile", "tablet", "other"] as const;

/** Signed-in browsers: device, network, when; "This device" marked; a sign-out button each. */
export function SessionTable({ sessions, onRevoke, busy }: { sessions: SessionRowData[]; onRevoke: (id: string) => void; busy: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  if (sessions.length === 0) return <p className="muted">{t("sessions.empty")}</p>;
  return (
    <div className="table-wrap" tabIndex={0}>
      <table className="table">
        <caption className="visually-hidden">{t("sessions.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("sessions.device")}</th>
            <th scope="col">{t("sessions.network")}</th>
            <th scope="col">{t("sessions.started")}</th>
            <th scope="col">{t("sessions.lastSeen")}</th>
            <th scope="col">
              <span className="visually-hidden">{t("common.actions")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((session) => {
            const kind = (DEVICES as readonly string[]).includes(session.deviceType) ? session.deviceType : "other";
            const software = [session.browser, session.os].filter(Boolean).join(" · ");
            const device = software || t("sessions.unknownDevice");
            return (
              <tr key={session.id} data-testid="session-row">
                <td>
                  <strong>{t(`device.${kind as (typeof DEVICES)[number]}`)}</strong>{" "}
                  {session.isCurrent ? <Badge tone="info">{t("sessions.thisDevice")}</Badge> : null}
                  <span className="muted small block">{device}</span>
                </td>
                <td>
                  <code>{session.ipNetwork || "—"}</code>
                  {session.country ? <span className="muted small block">{session.country}</span> : null}
                </td>
                <td>{i18n.dateTime(session.createdAt)}</td>
                <td>{i18n.dateTime(session.lastSeenAt)}</td>
                <td className="actions">
                  {session.isCurrent ? null : (
                    <button
                      type="button"
                      className="button button-danger button-small"
                      disabled={busy}
                      aria-label={t("sessions.revokeOf", { device })}
                      onClick={() => onRevoke(session.id)}
                    >
                      {t("sessions.revoke")}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** Every signed-in user: the browsers on their account, and a way to sign the others out. */
export default function Sessions() {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: MySessionsQuery, requestPolicy: "cache-and-network" });
  const [revokeState, revoke] = useMutation(SessionRevokeMutation);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const errors = revokeState.data?.sessionRevoke.errors ?? [];
  return (
    <div className="stack">
      <PageHeader title={t("sessions.title")} subtitle={t("sessions.subtitle")} />
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <Card>
        <QueryState result={result} retry={refresh}>
          {(data) => (
            <SessionTable
              sessions={data.mySessions}
              busy={revokeState.fetching}
              onRevoke={(id) => void revoke({ id }).then(refresh)}
            />
          )}
        </QueryState>
        <p className="muted small">
          <Link to="/account/tokens">{t("sessions.tokensHint")}</Link>
        </p>
      </Card>
    </div>
  );
}
