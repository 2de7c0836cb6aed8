/** /account/kyc: my identity verification (KYC): the form with its field errors, my documents, submission and the reviewer's answer. */
import { useEffect, useRef, useState } from "react";
import { useQuery } from "urql";

import type { UserError } from "../../api/errors";
import { useFormMutation } from "../../api/mutation";
import { FieldMessages, Form, FormErrors, SelectField, SubmitButton, TextField } from "../../components/form";
import { uploadRequest } from "../../components/marketplace/multipart";
import { QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import type { KycDocumentKind, KycIdType, KycProfileKind, KycStatus, MyKycQuery as MyKycData } from "../../gql/graphql";
import { useI18n, type MessageKey } from "../../i18n";
import { KycDocumentUploadMutation, KycSaveDraftMutation, KycSubmitMutation, MyKycQuery } from "./documents";

export const KYC_STATUS: Record<KycStatus, MessageKey> = {
  DRAFT: "kyc.status.DRAFT",
  SUBMITTED: "kyc.status.SUBMITTED",
  APPROVED: "kyc.status.APPROVED",
  REJECTED: "kyc.status.REJECTED",
  NEEDS_MORE_INFO: "kyc.status.NEEDS_MORE_INFO",
  EXPIRED: "kyc.status.EXPIRED",
};

export const KYC_TONE: Record<KycStatus, "neutral" | "success" | "warning" | "danger" | "info"> = {
  DRAFT: "neutral",
  SUBMITTED: "info",
  APPROVED: "success",
  REJECTED: "danger",
  NEEDS_MORE_INFO: "warning",
  EXPIRED: "danger",
};

export const DOCUMENT_KIND: Record<KycDocumentKind, MessageKey> = {
  ID_FRONT: "kyc.doc.ID_FRONT",
  ID_BACK: "kyc.doc.ID_BACK",
  SELFIE: "kyc.doc.SELFIE",
  COMPANY_REGISTRATION: "kyc.doc.COMPANY_REGISTRATION",
};

const ID_TYPES: KycIdType[] = ["CIN", "PASSPORT", "RESIDENCE_CARD"];
const TEXT_FIELDS = [
  "legalName",
  "dateOfBirth",
  "nationality",
  "address",
  "city",
  "postalCode",
  "country",
  "idNumber",
  "idExpiry",
  "companyName",
  "ice",
  "rc",
  "taxId",
  "vatNumber",
  "legalRepresentative",
  "registeredAddress",
  "iban",
] as const;
type TextFieldName = (typeof TEXT_FIELDS)[number];
type Values = Record<TextFieldName, string> & { kind: KycProfileKind; idType: KycIdType | "" };

const EDITABLE: KycStatus[] = ["DRAFT", "NEEDS_MORE_INFO", "REJECTED", "EXPIRED", "APPROVED"];

function valuesOf(profile: MyKycData["myKyc"]): Values {
  const values = { kind: profile.kind, idType: profile.idType ?? "" } as Values;
  for (const name of TEXT_FIELDS) values[name] = (profile[name] as string | null) ?? "";
  return values;
}

function DocumentRow({
  kind,
  document,
  disabled,
  onUploaded,
}: {
  kind: KycDocumentKind;
  document?: MyKycData["myKyc"]["documents"][number];
  disabled: boolean;
  onUploaded: () => void;
}) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<UserError[]>([]);
  const upload = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    const result = await uploadRequest(KycDocumentUploadMutation, { kind, file, expiresOn: null });
    setBusy(false);
    const found = result.error
      ? [{ field: "file", code: result.error.code, message: result.error.message }]
      : (result.data?.kycDocumentUpload.errors ?? []);
    setErrors(found);
    if (found.length === 0) onUploaded();
  };
  return (
    <li className="kyc-document">
      <Form onSubmit={() => undefined} errors={errors} busy={busy} aria-label={t(DOCUMENT_KIND[kind])}>
        <div className="field">
          <label htmlFor={`kyc-file-${kind}`}>{t(DOCUMENT_KIND[kind])}</label>{" "}
          {document ? <Badge tone="success">{t("kyc.uploaded")}</Badge> : <Badge tone="warning">{t("kyc.missing")}</Badge>}
          <input
            id={`kyc-file-${kind}`}
            type="file"
            accept="image/jpeg,image/png,image/webp,application/pdf"
            disabled={disabled || busy}
            onChange={(event) => void upload(event.target.files?.[0])}
          />
          <FieldMessages name="file" />
        </div>
        <FormErrors />
      </Form>
    </li>
  );
}

function KycForm({ profile, refresh }: { profile: MyKycData["myKyc"]; refresh: () => void }) {
  const { t } = useI18n();
  const [values, setValues] = useState<Values>(() => valuesOf(profile));
  const [saved, setSaved] = useState(false);
  const save = useFormMutation(KycSaveDraftMutation, (data) => data.kycSaveDraft);
  const submit = useFormMutation(KycSubmitMutation, (data) => data.kycSubmit);
  // A refetch answering the same profile (a new object, same values) must not wipe what the
  // person is typing: the form follows the server only when the server's values changed.
  const server = useRef(JSON.stringify(valuesOf(profile)));
  useEffect(() => {
    const next = JSON.stringify(valuesOf(profile));
    if (next === server.current) return;
    server.current = next;
    setValues(valuesOf(profile));
  }, [profile]);
  const editable = EDITABLE.includes(profile.status);
  const set = (name: keyof Values) => (value: string) => setValues((current) => ({ ...current, [name]: value }));
  const field = (name: TextFieldName, label: MessageKey, extra: { type?: string; hint?: MessageKey; required?: boolean } = {}) => (
    <TextField
      name={name}
      label={t(label)}
      value={values[name]}
      onChange={set(name)}
      type={extra.type}
      hint={extra.hint ? t(extra.hint) : undefined}
      required={extra.required}
      readOnly={!editable}
    />
  );
  const input = () => {
    const { idType, ...rest } = values;
    return { ...rest, idType: idType === "" ? null : idType, dateOfBirth: values.dateOfBirth || null, idExpiry: values.idExpiry || null };
  };
  const onSave = async () => {
    setSaved(false);
    if (await save.run({ input: input() })) {
      setSaved(true);
      refresh();
    }
  };
  const onSubmit = async () => {
    if (!(await save.run({ input: input() }))) return;
    if (await submit.run({})) refresh();
  };
  const present = new Map(profile.documents.map((document) => [document.kind, document]));
  const business = values.kind === "BUSINESS";
  return (
    <>
      <div className="live-region" role="status">
        {saved ? (
          <p className="alert alert-success">
            {t("kyc.saved")}
          </p>
        ) : null}
      </div>
      <Form onSubmit={onSubmit} errors={[...save.errors, ...submit.errors]} busy={save.fetching || submit.fetching} aria-label={t("kyc.title")}>
        <Card title={t("kyc.identity")}>
          <SelectField
            name="kind"
            label={t("kyc.kind")}
            value={values.kind}
            onChange={set("kind")}
            disabled={!editable}
            options={[
              { value: "INDIVIDUAL", label: t("kyc.kind.INDIVIDUAL") },
              { value: "BUSINESS", label: t("kyc.kind.BUSINESS") },
            ]}
          />
          {field("legalName", "kyc.legalName", { required: true })}
          {field("dateOfBirth", "kyc.dateOfBirth", { type: "date", hint: "kyc.dateOfBirthHint", required: true })}
          {field("nationality", "kyc.nationality", { hint: "kyc.countryHint", required: true })}
          {field("address", "kyc.address", { required: true })}
          {field("city", "kyc.city", { required: true })}
          {field("postalCode", "kyc.postalCode")}
          {field("country", "kyc.country", { hint: "kyc.countryHint", required: true })}
          <SelectField
            name="idType"
            label={t("kyc.idType")}
            value={values.idType}
            onChange={set("idType")}
            disabled={!editable}
            options={[{ value: "", label: "—" }, ...ID_TYPES.map((type) => ({ value: type, label: t(`kyc.idType.${type}` as MessageKey) }))]}
          />
          {field("idNumber", "kyc.idNumber", { hint: "kyc.idNumberHint", required: true })}
          {field("idExpiry", "kyc.idExpiry", { type: "date", required: true })}
          {field("iban", "kyc.iban", { hint: "kyc.ibanHint", required: true })}
        </Card>
        {business ? (
          <Card title={t("kyc.business")}>
            {field("companyName", "kyc.companyName", { required: true })}
            {field("ice", "kyc.ice", { hint: "kyc.iceHint", required: true })}
            {field("rc", "kyc.rc", { required: true })}
            {field("taxId", "kyc.taxId", { hint: "kyc.taxIdHint", required: true })}
            {field("vatNumber", "kyc.vatNumber", { hint: "kyc.vatNumberHint" })}
            {field("legalRepresentative", "kyc.legalRepresentative", { required: true })}
            {field("registeredAddress", "kyc.registeredAddress", { required: true })}
          </Card>
        ) : null}
        <FieldMessages name="documents" />
        <FieldMessages name="status" />
        <FormErrors />
        {editable ? (
          <div className="form-actions">
            <button type="button" className="button button-secondary" onClick={() => void onSave()}>
              {t("kyc.saveDraft")}
            </button>{" "}
            <SubmitButton>{t("kyc.submit")}</SubmitButton>
          </div>
        ) : null}
      </Form>
      <Card title={t("kyc.documents")}>
        <p className="muted">{t("kyc.documentsHint")}</p>
        <ul className="plain-list">
          {profile.requiredDocuments.map((kind) => (
            <DocumentRow key={kind} kind={kind} document={present.get(kind)} disabled={!editable} onUploaded={refresh} />
          ))}
        </ul>
      </Card>
    </>
  );
}

export default function MyKyc() {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: MyKycQuery, requestPolicy: "network-only" });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  return (
    <div>
      <PageHeader title={t("kyc.title")} subtitle={t("kyc.subtitle")} />
      <QueryState result={result}>
        {(data) => {
          const profile = data.myKyc;
          return (
            <>
              <p>
                {t("common.status")}: <Badge tone={KYC_TONE[profile.status]}>{t(KYC_STATUS[profile.status])}</Badge>
              </p>
              <div className="live-region" role="status">
                {profile.decisionReason && (profile.status === "REJECTED" || profile.status === "NEEDS_MORE_INFO") ? (
                  <p className="alert alert-warning">
                    {t("kyc.reviewerSays", { reason: profile.decisionReason })}
                  </p>
                ) : null}
              </div>
              {profile.status === "SUBMITTED" ? <p className="alert alert-info">{t("kyc.underReview")}</p> : null}
              <KycForm profile={profile} refresh={refresh} />
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
