/** /admin/privacy: the brand admin's erasure queue, terms and privacy policy editor, retention. */
import { useEffect, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextAreaField, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, Dialog, PageHeader, Tabs } from "../../components/ui";
import type { AdminPrivacyQuery as AdminPrivacyData, ErasureRequestStatus, LegalDocumentKind } from "../../gql/graphql";
import { useI18n, type MessageKey } from "../../i18n";
import {
  AdminPrivacyQuery,
  ErasureProcessMutation,
  ErasureRefuseMutation,
  LegalDocumentPublishMutation,
  PrivacySettingsUpdateMutation,
} from "./documents";

const STATUS: Record<ErasureRequestStatus, MessageKey> = {
  REQUESTED: "adminPrivacy.status.REQUESTED",
  CANCELLED: "adminPrivacy.status.CANCELLED",
  REFUSED: "adminPrivacy.status.REFUSED",
  COMPLETED: "adminPrivacy.status.COMPLETED",
};

type Erasure = AdminPrivacyData["erasureRequests"][number];

function ErasureQueue({ rows, refresh }: { rows: Erasure[]; refresh: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const process = useFormMutation(ErasureProcessMutation, (data) => data.erasureProcess);
  const refuse = useFormMutation(ErasureRefuseMutation, (data) => data.erasureRefuse);
  const [refusing, setRefusing] = useState<Erasure | null>(null);
  const [reason, setReason] = useState("");
  if (rows.length === 0) return <Empty title={t("adminPrivacy.queueEmpty")} />;
  return (
    <>
      <Form onSubmit={async () => undefined} errors={process.errors} busy={process.fetching} aria-label={t("adminPrivacy.queue")}>
        <FormErrors />
      </Form>
      <div className="table-wrap" tabIndex={0}>
        <table className="table">
          <caption className="visually-hidden">{t("adminPrivacy.queue")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("adminPrivacy.user")}</th>
              <th scope="col">{t("common.status")}</th>
              <th scope="col">{t("adminPrivacy.requested")}</th>
              <th scope="col">{t("adminPrivacy.due")}</th>
              <th scope="col">{t("adminPrivacy.reason")}</th>
              <th scope="col">
                <span className="visually-hidden">{t("common.actions")}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.id}>
                <td>{row.userEmail}</td>
                <td>
                  <Badge tone={row.status === "REQUESTED" ? "warning" : "neutral"}>{t(STATUS[row.status])}</Badge>
                </td>
                <td>{i18n.date(row.requestedAt)}</td>
                <td>{i18n.date(row.dueAt)}</td>
                <td>{row.decisionReason || row.reason}</td>
                <td className="actions">
                  {row.status === "REQUESTED" ? (
                    <>
                      <button
                        type="button"
                        className="button button-danger button-small"
                        onClick={async () => {
                          if (!window.confirm(t("adminPrivacy.processConfirm"))) return;
                          if (await process.run({ id: row.id })) refresh();
                        }}
                      >
                        {t("adminPrivacy.process")}
                      </button>{" "}
                      <button type="button" className="button button-secondary button-small" onClick={() => setRefusing(row)}>
                        {t("adminPrivacy.refuse")}
                      </button>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <Dialog open={refusing !== null} title={t("adminPrivacy.refuse")} onClose={() => setRefusing(null)}>
        <Form
          onSubmit={async () => {
            if (refusing && (await refuse.run({ id: refusing.id, reason }))) {
              setRefusing(null);
              setReason("");
              refresh();
            }
          }}
          errors={refuse.errors}
          busy={refuse.fetching}
          aria-label={t("adminPrivacy.refuse")}
        >
          <TextAreaField name="reason" label={t("adminPrivacy.refuseReason")} value={reason} onChange={setReason} required />
          <FormErrors />
          <SubmitButton>{t("adminPrivacy.refuse")}</SubmitButton>
        </Form>
      </Dialog>
    </>
  );
}

function DocumentEditor({ kind, versions, refresh }: { kind: LegalDocumentKind; versions: AdminPrivacyData["legalDocumentVersions"]; refresh: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const latest = versions[0];
  const [title, setTitle] = useState(latest?.title ?? "");
  const [body, setBody] = useState(latest?.body ?? "");
  const [published, setPublished] = useState<number | null>(null);
  const publish = useFormMutation(LegalDocumentPublishMutation, (data) => data.legalDocumentPublish);
  useEffect(() => {
    setTitle(latest?.title ?? "");
    setBody(latest?.body ?? "");
  }, [latest?.id, latest?.title, latest?.body]);
  return (
    <>
      <div className="live-region" role="status">
        {published ? (
          <p className="alert alert-success">
            {t("adminPrivacy.published", { version: published })}
          </p>
        ) : null}
      </div>
      <Form
        onSubmit={async () => {
          const data = await publish.run({ input: { kind, title, body } });
          if (data?.legalDocumentPublish.document) {
            setPublished(data.legalDocumentPublish.document.version);
            refresh();
          }
        }}
        errors={publish.errors}
        busy={publish.fetching}
        aria-label={t("adminPrivacy.publish")}
      >
        <TextField name="title" label={t("adminPrivacy.docTitle")} value={title} onChange={setTitle} required />
        <TextAreaField name="body" label={t("adminPrivacy.docBody")} hint={t("adminPrivacy.docBodyHint")} value={body} onChange={setBody} rows={12} required />
        <p className="muted">{t("adminPrivacy.publishHint")}</p>
        <FormErrors />
        <SubmitButton>{t("adminPrivacy.publish")}</SubmitButton>
      </Form>
      <h3>{t("adminPrivacy.versions")}</h3>
      {versions.length === 0 ? (
        <Empty title={t("adminPrivacy.versionsEmpty")} />
      ) : (
        <ul className="plain-list">
          {versions.map((version) => (
            <li key={version.id}>{t("legal.version", { version: version.version, date: i18n.dateTime(version.publishedAt) })}</li>
          ))}
        </ul>
      )}
    </>
  );
}

function RetentionForm({ settings, refresh }: { settings: AdminPrivacyData["privacySettings"]; refresh: () => void }) {
  const { t } = useI18n();
  const [window_, setWindow] = useState(String(settings.erasureWindowDays));
  const [clicks, setClicks] = useState(String(settings.clickRetentionDays));
  const [pages, setPages] = useState(String(settings.pageViewRetentionDays));
  const [saved, setSaved] = useState(false);
  const save = useFormMutation(PrivacySettingsUpdateMutation, (data) => data.privacySettingsUpdate);
  return (
    <Form
      onSubmit={async () => {
        setSaved(false);
        const data = await save.run({
          input: { erasureWindowDays: Number(window_), clickRetentionDays: Number(clicks), pageViewRetentionDays: Number(pages) },
        });
        if (data) {
          setSaved(true);
          refresh();
        }
      }}
      errors={save.errors}
      busy={save.fetching}
      aria-label={t("adminPrivacy.retention")}
    >
      <TextField name="erasureWindowDays" type="number" min={0} label={t("adminPrivacy.erasureWindow")} value={window_} onChange={setWindow} />
      <TextField name="clickRetentionDays" type="number" min={1} label={t("adminPrivacy.clickRetention")} value={clicks} onChange={setClicks} />
      <TextField
        name="pageViewRetentionDays"
        type="number"
        min={1}
        label={t("adminPrivacy.pageViewRetention")}
        hint={t("adminPrivacy.retentionHint")}
        value={pages}
        onChange={setPages}
      />
      <FormErrors />
      <div className="live-region" role="status">
        {saved ? (
          <p className="alert alert-success">
            {t("common.saved")}
          </p>
        ) : null}
      </div>
      <SubmitButton>{t("common.save")}</SubmitButton>
    </Form>
  );
}

export default function AdminPrivacy() {
  const { t } = useI18n();
  const [kind, setKind] = useState<LegalDocumentKind>("TERMS");
  const [result, reexecute] = useQuery({ query: AdminPrivacyQuery, variables: { kind }, requestPolicy: "network-only" });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div>
      <PageHeader title={t("adminPrivacy.title")} subtitle={t("adminPrivacy.subtitle")} />
      <QueryState result={result}>
        {(data) => (
          <div className="stack">
            <Card title={t("adminPrivacy.queue")}>
              <ErasureQueue rows={data.erasureRequests} refresh={refresh} />
            </Card>
            <div className="grid grid-2">
              <Card
                title={t("adminPrivacy.documents")}
                actions={
                  <Tabs
                    label={t("adminPrivacy.documents")}
                    value={kind}
                    onChange={setKind}
                    options={[
                      { value: "TERMS", label: t("adminPrivacy.kindTerms") },
                      { value: "PRIVACY", label: t("adminPrivacy.kindPrivacy") },
                    ]}
                  />
                }
              >
                <DocumentEditor key={kind} kind={kind} versions={data.legalDocumentVersions} refresh={refresh} />
              </Card>
              <Card title={t("adminPrivacy.retention")}>
                <RetentionForm settings={data.privacySettings} refresh={refresh} />
              </Card>
            </div>
          </div>
        )}
      </QueryState>
    </div>
  );
}
