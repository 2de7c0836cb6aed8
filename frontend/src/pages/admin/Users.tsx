import { useState } from "react";
import { useMutation, useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { AffiliateStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { usePrograms } from "../public/programs";

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
        {invited ? (
          <span className="saved" role="status">
            {t("users.invited", { email: invited })}
          </span>
        ) : null}
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
          <div className="table-wrap">
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

type Filter = AffiliateStatus | "ALL";
const TONES = { PENDING: "warning", APPROVED: "success", REJECTED: "danger", SUSPENDED: "neutral" } as const;

export default function Users() {
  const i18n = useI18n();
  const { t } = i18n;
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
                  <div className="table-wrap">
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
                  <div className="button-row">
                    {after ? (
                      <button type="button" className="button button-ghost" onClick={() => setAfter(null)}>
                        {t("common.first")}
                      </button>
                    ) : null}
                    {data.affiliates.pageInfo.hasNextPage ? (
                      <button type="button" className="button button-secondary" onClick={() => setAfter(data.affiliates.pageInfo.endCursor ?? null)}>
                        {t("common.next")}
                      </button>
                    ) : null}
                  </div>
                </>
              )}
            </QueryState>
          </Card>
        )}
      </QueryState>
    </div>
  );
}
