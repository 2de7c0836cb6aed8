/**
 * Invoices with their PDF. The API's download links live a few minutes, so a click asks for a
 * fresh one rather than trusting the link that came with the list.
 */
import { useState } from "react";
import { useClient, useQuery } from "urql";

import { InvoicesQuery } from "../../components/marketplace/documents";
import { Empty, ErrorState, SkeletonRows } from "../../components/states";
import { graphql } from "../../gql";
import type { InvoiceFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";

export const InvoiceDownloadQuery = graphql(`
  query InvoiceDownload($id: ID!) {
    invoice(id: $id) {
      id
      downloadUrl
    }
  }
`);

function DownloadButton({ invoice }: { invoice: InvoiceFieldsFragment }) {
  const { t } = useI18n();
  const client = useClient();
  const [state, setState] = useState<"idle" | "busy" | "missing">("idle");
  if (!invoice.downloadUrl && state !== "busy") {
    return <span className="muted small">{t("invoices.preparing")}</span>;
  }
  const open = async () => {
    setState("busy");
    const result = await client.query(InvoiceDownloadQuery, { id: invoice.id }, { requestPolicy: "network-only" }).toPromise();
    const url = result.data?.invoice?.downloadUrl;
    if (url) {
      setState("idle");
      window.location.assign(url);
    } else setState("missing");
  };
  return (
    <>
      <button type="button" className="button button-secondary button-small" onClick={() => void open()} disabled={state === "busy"} data-testid="invoice-download">
        {t("invoices.download")} <span className="visually-hidden">{invoice.number}</span>
      </button>
      <div className="live-region" role="status">
        {state === "missing" ? (
          <span className="muted small">
            {t("invoices.preparing")}
          </span>
        ) : null}
      </div>
    </>
  );
}

export function InvoiceList({ compact = false }: { compact?: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [after, setAfter] = useState<string | null>(null);
  const [result, reexecute] = useQuery({ query: InvoicesQuery, variables: { after }, requestPolicy: "cache-and-network" });
  const connection = result.data?.invoices;
  if (!connection) return result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={2} />;
  if (connection.edges.length === 0) return <Empty title={t("invoices.empty")}>{t("invoices.emptyHint")}</Empty>;
  return (
    <div className="table-wrap" tabIndex={0}>
      <table className="table" data-testid="invoices">
        <caption className="visually-hidden">{t("invoices.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("invoices.number")}</th>
            <th scope="col">{t("common.date")}</th>
            {compact ? null : <th scope="col">{t("invoices.customer")}</th>}
            <th scope="col" className="numeric">
              {t("invoices.total")}
            </th>
            <th scope="col">
              <span className="visually-hidden">{t("invoices.download")}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {connection.edges.map(({ node }) => (
            <tr key={node.id}>
              <td>
                <code>{node.number}</code>
              </td>
              <td>{i18n.date(node.issuedAt)}</td>
              {compact ? null : <td>{node.customerName}</td>}
              <td className="numeric">{i18n.money(node.total)}</td>
              <td>
                <DownloadButton invoice={node} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {connection.pageInfo.hasNextPage || after ? (
        <div className="button-row">
          {after ? (
            <button type="button" className="button button-ghost button-small" onClick={() => setAfter(null)}>
              {t("common.first")}
            </button>
          ) : null}
          {connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
            <button type="button" className="button button-secondary button-small" onClick={() => setAfter(connection.pageInfo.endCursor!)}>
              {t("common.next")}
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
