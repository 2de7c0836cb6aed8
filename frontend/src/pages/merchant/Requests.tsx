/** Affiliates asking to promote my products: approve or reject, with a note. */
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextAreaField } from "../../components/form";
import { Empty, ErrorState, SkeletonRows } from "../../components/states";
import { Badge, Card, Dialog, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { AffiliationRequestStatus, MerchantRequestFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const MerchantRequestFields = graphql(`
  fragment MerchantRequestFields on ProductAffiliationRequest {
    id
    affiliateId
    affiliateEmail
    affiliateName
    message
    status
    decisionNote
    decidedAt
    createdAt
    product {
      id
      slug
      title
    }
  }
`);

export const MerchantRequestsQuery = graphql(`
  query MerchantRequests($status: AffiliationRequestStatus, $after: String) {
    productAffiliationRequests(status: $status, first: 25, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...MerchantRequestFields
        }
      }
    }
  }
`);

export const RequestDecideMutation = graphql(`
  mutation RequestDecide($requestId: ID!, $approve: Boolean!, $note: String!) {
    productAffiliationDecide(requestId: $requestId, approve: $approve, note: $note) {
      request {
        ...MerchantRequestFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Row = MerchantRequestFieldsFragment;
type Filter = AffiliationRequestStatus | "ALL";
const TONES: Record<AffiliationRequestStatus, "warning" | "success" | "danger"> = { PENDING: "warning", APPROVED: "success", REJECTED: "danger" };
type Decision = { row: Row; approve: boolean } | null;

function DecideDialog({ decision, onClose, onDone }: { decision: Decision; onClose: () => void; onDone: () => void }) {
  const { t } = useI18n();
  const [note, setNote] = useState("");
  const decide = useFormMutation(RequestDecideMutation, (data) => data.productAffiliationDecide);
  const close = () => {
    setNote("");
    decide.setErrors([]);
    onClose();
  };
  const submit = async () => {
    if (!decision) return;
    if (await decide.run({ requestId: decision.row.id, approve: decision.approve, note: note.trim() })) {
      close();
      onDone();
    }
  };
  return (
    <Dialog open={decision !== null} title={decision?.approve ? t("requests.approveTitle") : t("requests.rejectTitle")} onClose={close}>
      {decision ? (
        <Form onSubmit={submit} errors={decide.errors} busy={decide.fetching}>
          <p className="muted">
            {decision.row.affiliateName || decision.row.affiliateEmail} · {decision.row.product.title}
          </p>
          <TextAreaField name="note" label={t("requests.note")} hint={t("requests.noteHint")} value={note} onChange={setNote} rows={3} autoFocus />
          <FormErrors />
          <div className="button-row">
            <button type="button" className="button button-ghost" onClick={close}>
              {t("common.cancel")}
            </button>
            <SubmitButton variant={decision.approve ? "primary" : "danger"}>{decision.approve ? t("queue.approve") : t("queue.reject")}</SubmitButton>
          </div>
        </Form>
      ) : null}
    </Dialog>
  );
}

function RequestRows({ status, after, isLast, onMore, onDecide, generation }: { status: Filter; after: string | null; isLast: boolean; onMore: (cursor: string) => void; onDecide: (decision: Decision) => void; generation: number }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({
    query: MerchantRequestsQuery,
    variables: { status: status === "ALL" ? null : status, after },
    requestPolicy: generation ? "network-only" : "cache-and-network",
  });
  const connection = result.data?.productAffiliationRequests;
  if (!connection) {
    return (
      <tbody>
        <tr>
          <td colSpan={6}>{result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={3} />}</td>
        </tr>
      </tbody>
    );
  }
  if (connection.edges.length === 0 && after === null) {
    return (
      <tbody>
        <tr>
          <td colSpan={6}>
            <Empty title={t("requests.empty")}>{t("requests.emptyHint")}</Empty>
          </td>
        </tr>
      </tbody>
    );
  }
  return (
    <tbody>
      {connection.edges.map(({ node }) => (
        <tr key={node.id} data-testid="request-row">
          <td>{i18n.date(node.createdAt)}</td>
          <td>
            <Link to={`/deals/${node.product.slug}`}>{node.product.title}</Link>
          </td>
          <td>
            {node.affiliateName || node.affiliateEmail}
            {node.affiliateName ? <span className="muted small"> · {node.affiliateEmail}</span> : null}
          </td>
          <td className="request-message">{node.message || <span className="muted">—</span>}</td>
          <td>
            <Badge tone={TONES[node.status]}>{t(`request.${node.status}`)}</Badge>
            {node.decisionNote ? <p className="muted small">{node.decisionNote}</p> : null}
          </td>
          <td className="actions">
            {node.status === "PENDING" ? (
              <>
                <button type="button" className="button button-primary button-small" onClick={() => onDecide({ row: node, approve: true })}>
                  {t("queue.approve")}
                </button>
                <button type="button" className="button button-danger button-small" onClick={() => onDecide({ row: node, approve: false })}>
                  {t("queue.reject")}
                </button>
              </>
            ) : null}
          </td>
        </tr>
      ))}
      {isLast && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <tr>
          <td colSpan={6} className="load-more">
            <button type="button" className="button button-secondary" onClick={() => onMore(connection.pageInfo.endCursor!)}>
              {t("common.loadMore")}
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}

export default function Requests() {
  const { t } = useI18n();
  const [status, setStatus] = useState<Filter>("PENDING");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [decision, setDecision] = useState<Decision>(null);
  const [generation, setGeneration] = useState(0);
  const reset = () => setCursors([null]);
  return (
    <div className="stack">
      <PageHeader title={t("requests.title")} subtitle={t("requests.subtitle")} />
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={status}
          onChange={(value) => {
            setStatus(value);
            reset();
          }}
          options={[
            { value: "PENDING", label: t("request.PENDING") },
            { value: "APPROVED", label: t("request.APPROVED") },
            { value: "REJECTED", label: t("request.REJECTED") },
            { value: "ALL", label: t("common.all") },
          ]}
        />
      </div>
      <Card>
        <div className="table-wrap" tabIndex={0}>
          <table className="table">
            <caption className="visually-hidden">{t("requests.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("common.date")}</th>
                <th scope="col">{t("requests.product")}</th>
                <th scope="col">{t("queue.affiliate")}</th>
                <th scope="col">{t("requests.message")}</th>
                <th scope="col">{t("common.status")}</th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            {cursors.map((cursor, index) => (
              <RequestRows
                key={`${status}-${generation}-${cursor ?? "first"}`}
                status={status}
                after={cursor}
                isLast={index === cursors.length - 1}
                onMore={(next) => setCursors((current) => [...current, next])}
                onDecide={setDecision}
                generation={generation}
              />
            ))}
          </table>
        </div>
      </Card>
      <DecideDialog
        decision={decision}
        onClose={() => setDecision(null)}
        onDone={() => {
          reset();
          setGeneration((value) => value + 1);
        }}
      />
    </div>
  );
}
