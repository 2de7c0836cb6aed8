import { useEffect, useState } from "react";
import { useMutation, useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField, useErrorMessage } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, Dialog, PageHeader, Pager, Tabs } from "../../components/ui";
import { useSession } from "../../app/session";
import { graphql } from "../../gql";
import type { AffiliateStatus, Role, UserStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { SessionTable } from "../people/Sessions";
import { usePrograms } from "../public/programs";
import { FRESH_TWO_FACTOR_REQUIRED, useFreshTwoFactor } from "../security/FreshTwoFactor";

export const AffiliatesQuery = graphql(`
  query Affiliates($programId: ID!, $status: AffiliateStatus, $after: String) {
    affiliates(programId: $programId, status: $status, first: 50, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          email
          fullName
          status
          referralCode
          referredById
          joinedAt
          tier {
            code
            label
            rate
          }
        }
      }
    }
  }
`);

export const AffiliateApproveMutation = graphql(`
  mutation AffiliateApprove($id: ID!) {
    affiliateApprove(id: $id) {
      affiliate {
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

export const AffiliateRejectMutation = graphql(`
  mutation AffiliateReject($id: ID!) {
    affiliateReject(id: $id) {
      affiliate {
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

export const AffiliateSetTierMutation = graphql(`
  mutation AffiliateSetTier($id: ID!, $tierCode: String!) {
    affiliateSetTier(id: $id, tierCode: $tierCode) {
      affiliate {
        id
        tier {
          code
          label
          rate
        }
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MerchantApplicationsQuery = graphql(`
  query MerchantApplications {
    merchantApplications {
      id
      email
      fullName
      dateJoined
    }
  }
`);

export const MerchantApproveMutation = graphql(`
  mutation MerchantApprove($userId: ID!) {
    merchantApprove(userId: $userId) {
      user {
        id
        role
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MerchantRefuseMutation = graphql(`
  mutation MerchantRefuse($userId: ID!) {
    merchantRefuse(userId: $userId) {
      user {
        id
        role
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const MerchantInviteMutation = graphql(`
  mutation MerchantInvite($email: String!, $fullName: String!) {
    merchantInvite(email: $email, fullName: $fullName) {
      user {
        id
        email
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

/** A brand admin creates a merchant account; it gets a sign-in link by email. */
function MerchantInvite() {
  const { t } = useI18n();
  const [email, setEmail] = useState("");
  const [fullName, setFullName] = useState("");
  const [invited, setInvited] = useState<string | null>(null);
  const invite = useFormMutation(MerchantInviteMutation, (data) => data.merchantInvite);
  const submit = async () => {
    const data = await invite.run({ email, fullName });
    if (data?.merchantInvite.user) {
      setInvited(data.merchantInvite.user.email);
      setEmail("");
      setFullName("");
    }
  };
  return (
    <Form onSubmit={submit} errors={invite.errors} busy={invite.fetching} aria-label={t("users.inviteMerchant")}>
      <h3 className="form-section">{t("users.inviteMerchant")}</h3>
      <p className="muted">{t("users.inviteMerchantHint")}</p>
      <div className="form-grid">
        <TextField name="email" type="email" label={t("auth.email")} value={email} onChange={setEmail} required />
        <TextField name="fullName" label={t("auth.fullName")} value={fullName} onChange={setFullName} />
      </div>
      <FormErrors />
      <div className="button-row">
        <SubmitButton>{t("users.inviteButton")}</SubmitButton>
        <div className="live-region" role="status">
          {invited ? (
            <span className="saved">
              {t("users.invited", { email: invited })}
            </span>
          ) : null}
        </div>
      </div>
    </Form>
  );
}

/** People who signed up as merchants under the brand's approval policy: approve or refuse. */
function MerchantApplications() {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({ query: MerchantApplicationsQuery, requestPolicy: "cache-and-network" });
  const [approveState, approve] = useMutation(MerchantApproveMutation);
  const [refuseState, refuse] = useMutation(MerchantRefuseMutation);
  const busy = approveState.fetching || refuseState.fetching;
  const errors = [...(approveState.data?.merchantApprove.errors ?? []), ...(refuseState.data?.merchantRefuse.errors ?? [])];
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <Card title={t("users.merchantApplications")}>
      <p className="muted">{t("users.merchantApplicationsHint")}</p>
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <QueryState
        result={result}
        retry={refresh}
        isEmpty={(data) => data.merchantApplications.length === 0}
        empty={<p className="muted">{t("users.noMerchantApplications")}</p>}
      >
        {(data) => (
          <div className="table-wrap" tabIndex={0}>
            <table className="table">
              <caption className="visually-hidden">{t("users.merchantApplications")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("role.MERCHANT")}</th>
                  <th scope="col">{t("users.joined")}</th>
                  <th scope="col">{t("common.actions")}</th>
                </tr>
              </thead>
              <tbody>
                {data.merchantApplications.map((user) => (
                  <tr key={user.id} data-testid="merchant-application">
                    <td>
                      <strong>{user.fullName || user.email}</strong>
                      <span className="muted small block">{user.email}</span>
                    </td>
                    <td>{i18n.date(user.dateJoined)}</td>
                    <td className="actions">
                      <button
                        type="button"
                        className="button button-primary button-small"
                        disabled={busy}
                        aria-label={t("users.approveMerchant", { email: user.email })}
                        onClick={() => void approve({ userId: user.id }).then(refresh)}
                      >
                        {t("users.approve")}
                      </button>
                      <button
                        type="button"
                        className="button button-danger button-small"
                        disabled={busy}
                        aria-label={t("users.refuseMerchant", { email: user.email })}
                        onClick={() => void refuse({ userId: user.id }).then(refresh)}
                      >
                        {t("users.refuse")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      <MerchantInvite />
    </Card>
  );
}


export const PeopleQuery = graphql(`
  query People($search: String!, $role: Role, $status: UserStatus, $after: String) {
    users(search: $search, role: $role, status: $status, first: 25, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          email
          fullName
          role
          isActive
          dateJoined
        }
      }
    }
  }
`);

export const UserRoleChangeMutation = graphql(`
  mutation UserRoleChange($userId: ID!, $role: Role!) {
    userRoleChange(userId: $userId, role: $role) {
      user {
        id
        role
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const UserDeactivateMutation = graphql(`
  mutation UserDeactivate($userId: ID!) {
    userDeactivate(userId: $userId) {
      user {
        id
        isActive
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const UserTwoFactorResetMutation = graphql(`
  mutation UserTwoFactorReset($userId: ID!) {
    twoFactorReset(userId: $userId) {
      user {
        id
        email
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const UserReactivateMutation = graphql(`
  mutation UserReactivate($userId: ID!) {
    userReactivate(userId: $userId) {
      user {
        id
        isActive
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const UserSessionsQuery = graphql(`
  query UserSessions($userId: ID!) {
    userSessions(userId: $userId) {
      ...SessionRow
    }
  }
`);

export const UserSessionRevokeMutation = graphql(`
  mutation UserSessionRevoke($id: ID!) {
    userSessionRevoke(id: $id) {
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

/** The roles a brand admin can give (the operator role lives on the root domain). */
const BRAND_ROLES: Role[] = ["BRAND_ADMIN", "STAFF", "MERCHANT", "AFFILIATE", "CUSTOMER"];
type StatusFilter = UserStatus | "ALL";

/** A user's signed-in browsers, in a dialog, each with a sign-out button. */
function UserSessionsDialog({ user, onClose }: { user: { id: string; email: string } | null; onClose: () => void }) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: UserSessionsQuery, variables: { userId: user?.id ?? "" }, pause: !user, requestPolicy: "network-only" });
  const [revokeState, revoke] = useMutation(UserSessionRevokeMutation);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <Dialog open={user !== null} title={user ? t("people.sessionsOf", { email: user.email }) : ""} onClose={onClose}>
      <QueryState result={result} retry={refresh}>
        {(data) => <SessionTable sessions={data.userSessions} busy={revokeState.fetching} onRevoke={(id) => void revoke({ id }).then(refresh)} />}
      </QueryState>
      <div className="button-row">
        <button type="button" className="button button-ghost" onClick={onClose}>
          {t("people.close")}
        </button>
      </div>
    </Dialog>
  );
}

/** Everyone with an account in the brand: search, filter, change a role, deactivate, sessions. */
export function People({ meId }: { meId: string | null }) {
  const i18n = useI18n();
  const { t } = i18n;
  const errorMessage = useErrorMessage();
  const [typed, setTyped] = useState("");
  const [search, setSearch] = useState("");
  const [role, setRole] = useState<Role | "ALL">("ALL");
  const [status, setStatus] = useState<StatusFilter>("ALL");
  const [after, setAfter] = useState<string | null>(null);
  const [sessionsOf, setSessionsOf] = useState<{ id: string; email: string } | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => {
      setSearch(typed.trim());
      setAfter(null);
    }, 300);
    return () => clearTimeout(timer);
  }, [typed]);
  const [result, reexecute] = useQuery({
    query: PeopleQuery,
    variables: { search, role: role === "ALL" ? null : role, status: status === "ALL" ? null : status, after },
    requestPolicy: "cache-and-network",
  });
  const [roleState, changeRole] = useMutation(UserRoleChangeMutation);
  const [deactivateState, deactivate] = useMutation(UserDeactivateMutation);
  const [reactivateState, reactivate] = useMutation(UserReactivateMutation);
  // Recovery of a lost authenticator: needs a fresh code of the admin's own (asked, then retried).
  const reset = useFormMutation(UserTwoFactorResetMutation, (data) => data.twoFactorReset);
  const [resetTarget, setResetTarget] = useState<{ id: string; email: string } | null>(null);
  const [resetDone, setResetDone] = useState<string | null>(null);
  const runReset = async (target: { id: string; email: string }) => {
    setResetTarget(target);
    setResetDone(null);
    const data = await reset.run({ userId: target.id });
    if (data?.twoFactorReset.user) setResetDone(data.twoFactorReset.user.email);
  };
  const fresh = useFreshTwoFactor(reset.errors, () => (resetTarget ? runReset(resetTarget) : undefined));
  const busy = roleState.fetching || deactivateState.fetching || reactivateState.fetching || reset.fetching;
  const errors = [
    ...(roleState.data?.userRoleChange.errors ?? []),
    ...(deactivateState.data?.userDeactivate.errors ?? []),
    ...(reactivateState.data?.userReactivate.errors ?? []),
    ...reset.errors.filter((error) => error.code !== FRESH_TWO_FACTOR_REQUIRED),
  ];
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <Card title={t("people.title")}>
      <p className="muted">{t("people.hint")}</p>
      <div className="toolbar">
        <label className="inline-select">
          <span className="visually-hidden">{t("people.search")}</span>
          <input type="search" placeholder={t("people.search")} value={typed} onChange={(event) => setTyped(event.target.value)} />
        </label>
        <label className="inline-select">
          <span>{t("people.role")}</span>
          <select
            value={role}
            onChange={(event) => {
              setRole(event.target.value as Role | "ALL");
              setAfter(null);
            }}
          >
            <option value="ALL">{t("people.allRoles")}</option>
            {BRAND_ROLES.map((item) => (
              <option key={item} value={item}>
                {t(`role.${item}`)}
              </option>
            ))}
          </select>
        </label>
        <Tabs
          label={t("common.status")}
          value={status}
          onChange={(value) => {
            setStatus(value);
            setAfter(null);
          }}
          options={(["ALL", "ACTIVE", "DEACTIVATED"] as const).map((value) => ({ value, label: t(`people.status.${value}`) }))}
        />
      </div>
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{errorMessage(error)}</p>
          ))}
        </div>
      ) : null}
      <p className="saved" role="status">
        {resetDone ? t("people.twoFactorResetDone", { email: resetDone }) : null}
      </p>
      {fresh.dialog}
      <QueryState result={result} retry={refresh} isEmpty={(data) => data.users.edges.length === 0} empty={<p className="muted">{t("people.empty")}</p>}>
        {(data) => (
          <>
            <p className="muted small" role="status">
              {t("people.count", { count: data.users.totalCount })}
            </p>
            <div className="table-wrap" tabIndex={0}>
              <table className="table people-table">
                <caption className="visually-hidden">{t("people.title")}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t("people.person")}</th>
                    <th scope="col">{t("people.role")}</th>
                    <th scope="col">{t("common.status")}</th>
                    <th scope="col">{t("users.joined")}</th>
                    <th scope="col">{t("common.actions")}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.users.edges.map(({ node }) => {
                    const isMe = meId === node.id;
                    return (
                      <tr key={node.id} data-testid="person-row">
                        <td>
                          <strong>{node.fullName || node.email}</strong>
                          {isMe ? <span className="muted"> ({t("people.you")})</span> : null}
                          <span className="muted small block">{node.email}</span>
                        </td>
                        <td>
                          <select
                            aria-label={t("people.roleOf", { email: node.email })}
                            value={node.role}
                            disabled={busy || !node.isActive}
                            onChange={(event) => void changeRole({ userId: node.id, role: event.target.value as Role }).then(refresh)}
                          >
                            {(BRAND_ROLES.includes(node.role) ? BRAND_ROLES : [node.role, ...BRAND_ROLES]).map((item) => (
                              <option key={item} value={item}>
                                {t(`role.${item}`)}
                              </option>
                            ))}
                          </select>
                        </td>
                        <td>
                          <Badge tone={node.isActive ? "success" : "neutral"}>{t(node.isActive ? "people.status.ACTIVE" : "people.status.DEACTIVATED")}</Badge>
                        </td>
                        <td>{i18n.date(node.dateJoined)}</td>
                        <td className="actions">
                          <button type="button" className="button button-secondary button-small" onClick={() => setSessionsOf({ id: node.id, email: node.email })}>
                            {t("people.sessions")}
                          </button>
                          {isMe ? null : (
                            <button
                              type="button"
                              className="button button-ghost button-small"
                              disabled={busy}
                              aria-label={t("people.twoFactorResetOf", { email: node.email })}
                              onClick={() => {
                                if (window.confirm(t("people.twoFactorResetConfirm", { email: node.email }))) void runReset({ id: node.id, email: node.email });
                              }}
                            >
                              {t("people.twoFactorReset")}
                            </button>
                          )}
                          {node.isActive ? (
                            isMe ? null : (
                              <button
                                type="button"
                                className="button button-danger button-small"
                                disabled={busy}
                                aria-label={t("people.deactivateOf", { email: node.email })}
                                onClick={() => {
                                  if (window.confirm(t("people.deactivateConfirm", { email: node.email }))) void deactivate({ userId: node.id }).then(refresh);
                                }}
                              >
                                {t("people.deactivate")}
                              </button>
                            )
                          ) : (
                            <button
                              type="button"
                              className="button button-primary button-small"
                              disabled={busy}
                              aria-label={t("people.reactivateOf", { email: node.email })}
                              onClick={() => void reactivate({ userId: node.id }).then(refresh)}
                            >
                              {t("people.reactivate")}
                            </button>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <Pager after={after} pageInfo={data.users.pageInfo} onPage={setAfter} />
          </>
        )}
      </QueryState>
      <UserSessionsDialog user={sessionsOf} onClose={() => setSessionsOf(null)} />
    </Card>
  );
}

type Filter = AffiliateStatus | "ALL";
const TONES = { PENDING: "warning", APPROVED: "success", REJECTED: "danger", SUSPENDED: "neutral" } as const;

export default function Users() {
  const i18n = useI18n();
  const { t } = i18n;
  const { me } = useSession();
  const { programs, result: programsResult } = usePrograms();
  const [programId, setProgramId] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>("ALL");
  const [after, setAfter] = useState<string | null>(null);
  const program = programs.find((item) => item.id === programId) ?? programs[0];
  const [result, reexecute] = useQuery({
    query: AffiliatesQuery,
    variables: { programId: program?.id ?? "", status: filter === "ALL" ? null : filter, after },
    pause: !program,
    requestPolicy: "cache-and-network",
  });
  const [approveState, approve] = useMutation(AffiliateApproveMutation);
  const [rejectState, reject] = useMutation(AffiliateRejectMutation);
  const [tierState, setTier] = useMutation(AffiliateSetTierMutation);
  const busy = approveState.fetching || rejectState.fetching || tierState.fetching;
  const errors = [
    ...(approveState.data?.affiliateApprove.errors ?? []),
    ...(rejectState.data?.affiliateReject.errors ?? []),
    ...(tierState.data?.affiliateSetTier.errors ?? []),
  ];
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div className="stack">
      <PageHeader
        title={t("users.title")}
        subtitle={result.data ? t("users.count", { count: result.data.affiliates.totalCount }) : t("users.subtitle")}
        actions={
          programs.length > 1 ? (
            <label className="inline-select">
              <span>{t("common.program")}</span>
              <select value={program?.id} onChange={(event) => setProgramId(event.target.value)}>
                {programs.map((item) => (
                  <option key={item.id} value={item.id}>
                    {item.name}
                  </option>
                ))}
              </select>
            </label>
          ) : null
        }
      />
      <People meId={me?.id ?? null} />
      <MerchantApplications />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={filter}
          onChange={(value) => {
            setFilter(value);
            setAfter(null);
          }}
          options={[
            { value: "ALL", label: t("common.all") },
            { value: "PENDING", label: t("affiliate.PENDING") },
            { value: "APPROVED", label: t("affiliate.APPROVED") },
            { value: "SUSPENDED", label: t("affiliate.SUSPENDED") },
            { value: "REJECTED", label: t("affiliate.REJECTED") },
          ]}
        />
      </div>
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
      <QueryState result={programsResult} isEmpty={() => !program} empty={<Empty title={t("home.noProgram")} />}>
        {() => (
          <Card>
            <QueryState
              result={result}
              retry={refresh}
              isEmpty={(data) => data.affiliates.edges.length === 0}
              empty={<Empty title={t("users.empty")}>{t("users.emptyHint")}</Empty>}
            >
              {(data) => (
                <>
                  <div className="table-wrap" tabIndex={0}>
                    <table className="table">
                      <caption className="visually-hidden">{t("users.title")}</caption>
                      <thead>
                        <tr>
                          <th scope="col">{t("users.affiliate")}</th>
                          <th scope="col">{t("users.joined")}</th>
                          <th scope="col">{t("common.status")}</th>
                          <th scope="col">{t("program.tier")}</th>
                          <th scope="col">{t("common.actions")}</th>
                        </tr>
                      </thead>
                      <tbody>
                        {data.affiliates.edges.map(({ node }) => (
                          <tr key={node.id}>
                            <td>
                              <strong>{node.fullName || node.email}</strong>
                              <span className="muted small block">
                                {node.email}
                                {node.referredById ? ` · ${t("users.referred")}` : ""}
                              </span>
                            </td>
                            <td>{i18n.date(node.joinedAt)}</td>
                            <td>
                              <Badge tone={TONES[node.status]}>{t(`affiliate.${node.status}`)}</Badge>
                            </td>
                            <td>
                              <select
                                aria-label={t("users.tierOf", { email: node.email })}
                                value={node.tier.code}
                                disabled={busy}
                                onChange={(event) => void setTier({ id: node.id, tierCode: event.target.value }).then(refresh)}
                              >
                                {program.tiers.map((tier) => (
                                  <option key={tier.code} value={tier.code}>
                                    {tier.label} · {i18n.percent(tier.rate)}
                                  </option>
                                ))}
                              </select>
                            </td>
                            <td className="actions">
                              {node.status === "PENDING" || node.status === "SUSPENDED" || node.status === "REJECTED" ? (
                                <button type="button" className="button button-primary button-small" disabled={busy} onClick={() => void approve({ id: node.id }).then(refresh)}>
                                  {t("users.approve")}
                                </button>
                              ) : null}
                              {node.status === "PENDING" || node.status === "APPROVED" ? (
                                <button type="button" className="button button-danger button-small" disabled={busy} onClick={() => void reject({ id: node.id }).then(refresh)}>
                                  {node.status === "PENDING" ? t("users.reject") : t("users.suspend")}
                                </button>
                              ) : null}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                  <Pager after={after} pageInfo={data.affiliates.pageInfo} onPage={setAfter} />
                </>
              )}
            </QueryState>
          </Card>
        )}
      </QueryState>
    </div>
  );
}
