/** /admin/kyc: the reviewers' queue (documents previewed through short-lived signed links) and the brand's KYC settings. */
import { useEffect, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { CheckboxField, Form, FormErrors, SelectField, SubmitButton, TextAreaField, TextField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, Dialog, PageHeader, Tabs } from "../../components/ui";
import type { KycDecision, KycReviewQueueQuery as QueueData, KycStatus } from "../../gql/graphql";
import { useI18n, type MessageKey } from "../../i18n";
import { KycDecideMutation, KycDocumentLinkMutation, KycReviewQueueQuery, KycSettingsQuery, KycSettingsUpdateMutation } from "./documents";
import { DOCUMENT_KIND, KYC_STATUS, KYC_TONE } from "./MyKyc";

type Profile = QueueData["kycReviewQueue"][number];
type Document = Profile["documents"][number];
const FILTERS: KycStatus[] = ["SUBMITTED", "NEEDS_MORE_INFO", "APPROVED", "REJECTED", "EXPIRED"];

function DocumentPreview({ document }: { document: Document }) {
  const { t } = useI18n();
  const link = useFormMutation(KycDocumentLinkMutation, (data) => data.kycDocumentLink);
  const [url, setUrl] = useState<string | null>(null);
  const open = async () => {
    const data = await link.run({ id: document.id });
    setUrl(data?.kycDocumentLink.url ?? null);
  };
  return (
    <li>
      <strong>{t(DOCUMENT_KIND[document.kind])}</strong> <span className="muted">({document.contentType})</span>{" "}
      <button type="button" className="button button-secondary button-small" onClick={() => void open()} disabled={link.fetching}>
        {t("kyc.view")}
      </button>
      {link.errors.length ? (
        <span className="field-error" role="alert">
          {link.errors[0].message}
        </span>
      ) : null}
      {url ? (
        document.contentType === "application/pdf" ? (
          <p>
            <a href={url} target="_blank" rel="noreferrer noopener">
              {t("kyc.openPdf")}
            </a>
          </p>
        ) : (
          <p>
            <img src={url} alt={t(DOCUMENT_KIND[document.kind])} className="kyc-preview" style={{ maxWidth: "100%", maxHeight: 360 }} />
          </p>
        )
      ) : null}
    </li>
  );
}

function Review({ profile, onDone }: { profile: Profile; onDone: () => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const decide = useFormMutation(KycDecideMutation, (data) => data.kycDecide);
  const [decision, setDecision] = useState<KycDecision>("APPROVED");
  const [reason, setReason] = useState("");
  const rows: [MessageKey, string | null | undefined][] = [
    ["kyc.legalName", profile.legalName],
    ["kyc.dateOfBirth", profile.dateOfBirth ? i18n.date(profile.dateOfBirth) : ""],
    ["kyc.nationality", profile.nationality],
    ["kyc.address", [profile.address, profile.city, profile.country].filter(Boolean).join(", ")],
    ["kyc.idType", profile.idType ? t(`kyc.idType.${profile.idType}` as MessageKey) : ""],
    ["kyc.idNumber", profile.idNumber],
    ["kyc.idExpiry", profile.idExpiry ? i18n.date(profile.idExpiry) : ""],
    ["kyc.iban", profile.iban],
  ];
  if (profile.kind === "BUSINESS") {
    rows.push(
      ["kyc.companyName", profile.companyName],
      ["kyc.ice", profile.ice],
      ["kyc.rc", profile.rc],
      ["kyc.taxId", profile.taxId],
      ["kyc.vatNumber", profile.vatNumber],
      ["kyc.legalRepresentative", profile.legalRepresentative],
      ["kyc.registeredAddress", profile.registeredAddress],
    );
  }
  return (
    <>
      <dl className="definition-list">
        {rows.map(([label, value]) => (
          <div key={label}>
            <dt>{t(label)}</dt>
            <dd>{value || "—"}</dd>
          </div>
        ))}
      </dl>
      <h3>{t("kyc.documents")}</h3>
      <ul className="plain-list">
        {profile.documents.map((document) => (
          <DocumentPreview key={document.id} document={document} />
        ))}
      </ul>
      {profile.status === "SUBMITTED" ? (
        <Form
          onSubmit={async () => {
            if (await decide.run({ id: profile.id, decision, reason })) onDone();
          }}
          errors={decide.errors}
          busy={decide.fetching}
          aria-label={t("kyc.decide")}
        >
          <SelectField
            name="decision"
            label={t("kyc.decision")}
            value={decision}
            onChange={(value) => setDecision(value as KycDecision)}
            options={[
              { value: "APPROVED", label: t("kyc.decision.APPROVED") },
              { value: "NEEDS_MORE_INFO", label: t("kyc.decision.NEEDS_MORE_INFO") },
              { value: "REJECTED", label: t("kyc.decision.REJECTED") },
            ]}
          />
          <TextAreaField name="reason" label={t("kyc.reason")} hint={t("kyc.reasonHint")} value={reason} onChange={setReason} />
          <FormErrors />
          <SubmitButton>{t("kyc.decide")}</SubmitButton>
        </Form>
      ) : null}
    </>
  );
}

function Queue() {
  const i18n = useI18n();
  const { t } = i18n;
  const [status, setStatus] = useState<KycStatus>("SUBMITTED");
  const [result, reexecute] = useQuery({ query: KycReviewQueueQuery, variables: { status }, requestPolicy: "network-only" });
  const [open, setOpen] = useState<Profile | null>(null);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <>
      <SelectField
        name="status"
        label={t("common.status")}
        value={status}
        onChange={(value) => setStatus(value as KycStatus)}
        options={FILTERS.map((value) => ({ value, label: t(KYC_STATUS[value]) }))}
      />
      <QueryState result={result} isEmpty={(data) => data.kycReviewQueue.length === 0} empty={<Empty title={t("kyc.queueEmpty")} />}>
        {(data) => (
          <div className="table-wrap" tabIndex={0}>
            <table className="table">
              <caption className="visually-hidden">{t("kyc.queue")}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("kyc.user")}</th>
                  <th scope="col">{t("kyc.kind")}</th>
                  <th scope="col">{t("common.status")}</th>
                  <th scope="col">{t("kyc.submittedAt")}</th>
                  <th scope="col">
                    <span className="visually-hidden">{t("common.actions")}</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.kycReviewQueue.map((row) => (
                  <tr key={row.id}>
                    <td>{row.userEmail}</td>
                    <td>{t(`kyc.kind.${row.kind}` as MessageKey)}</td>
                    <td>
                      <Badge tone={KYC_TONE[row.status]}>{t(KYC_STATUS[row.status])}</Badge>
                    </td>
                    <td>{row.submittedAt ? i18n.date(row.submittedAt) : "—"}</td>
                    <td className="actions">
                      <button type="button" className="button button-secondary button-small" onClick={() => setOpen(row)}>
                        {t("kyc.review")}
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryState>
      <Dialog open={open !== null} title={open ? `${t("kyc.review")}: ${open.userEmail}` : ""} onClose={() => setOpen(null)}>
        {open ? (
          <Review
            profile={open}
            onDone={() => {
              setOpen(null);
              refresh();
            }}
          />
        ) : null}
      </Dialog>
    </>
  );
}

function Settings() {
  const { t } = useI18n();
  const [result] = useQuery({ query: KycSettingsQuery, requestPolicy: "network-only" });
  const update = useFormMutation(KycSettingsUpdateMutation, (data) => data.kycSettingsUpdate);
  const [roles, setRoles] = useState<string[]>([]);
  const [threshold, setThreshold] = useState("0");
  const [retention, setRetention] = useState("365");
  const [saved, setSaved] = useState(false);
  const current = result.data?.kycSettings;
  useEffect(() => {
    if (!current) return;
    setRoles(current.requiredRoles);
    setThreshold(current.payoutThreshold);
    setRetention(String(current.retentionDays));
  }, [current]);
  const toggle = (role: string) => (on: boolean) => setRoles((list) => (on ? [...new Set([...list, role])] : list.filter((r) => r !== role)));
  return (
    <QueryState result={result}>
      {() => (
        <Form
          onSubmit={async () => {
            setSaved(false);
            const retentionDays = Number.parseInt(retention, 10);
            if (await update.run({ input: { requiredRoles: roles, payoutThreshold: threshold, retentionDays: Number.isNaN(retentionDays) ? 0 : retentionDays } }))
              setSaved(true);
          }}
          errors={update.errors}
          busy={update.fetching}
          aria-label={t("kyc.settings")}
        >
          <div className="live-region" role="status">
            {saved ? (
              <p className="alert alert-success">
                {t("common.saved")}
              </p>
            ) : null}
          </div>
          <fieldset>
            <legend>{t("kyc.requiredRoles")}</legend>
            <CheckboxField name="requiredRoles" label={t("kyc.role.affiliate")} checked={roles.includes("affiliate")} onChange={toggle("affiliate")} />
            <CheckboxField name="requiredRolesMerchant" label={t("kyc.role.merchant")} checked={roles.includes("merchant")} onChange={toggle("merchant")} />
          </fieldset>
          <TextField name="payoutThreshold" label={t("kyc.threshold")} hint={t("kyc.thresholdHint")} value={threshold} onChange={setThreshold} inputMode="decimal" />
          <TextField name="retentionDays" label={t("kyc.retentionDays")} hint={t("kyc.retentionHint")} value={retention} onChange={setRetention} inputMode="numeric" />
          <FormErrors />
          <SubmitButton>{t("common.save")}</SubmitButton>
        </Form>
      )}
    </QueryState>
  );
}

export default function AdminKyc() {
  const { t } = useI18n();
  const [tab, setTab] = useState<"queue" | "settings">("queue");
  return (
    <div>
      <PageHeader title={t("kyc.adminTitle")} subtitle={t("kyc.adminSubtitle")} />
      <Tabs
        label={t("kyc.adminTitle")}
        value={tab}
        onChange={setTab}
        options={[
          { value: "queue", label: t("kyc.queue") },
          { value: "settings", label: t("kyc.settings") },
        ]}
      />
      <Card>{tab === "queue" ? <Queue /> : <Settings />}</Card>
    </div>
  );
}
