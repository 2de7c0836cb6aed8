/** /account/privacy: my consents, a copy of my data, erasure of my account. */
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { CheckboxField, Form, FormErrors, SubmitButton, TextAreaField } from "../../components/form";
import { Empty, QueryState } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import type { DataExportStatus } from "../../gql/graphql";
import { useI18n, type MessageKey } from "../../i18n";
import {
  ConsentAcceptMutation,
  DataExportRequestMutation,
  ErasureCancelMutation,
  ErasureRequestMutation,
  MarketingConsentSetMutation,
  MyPrivacyQuery,
} from "./documents";

const EXPORT_STATUS: Record<DataExportStatus, MessageKey> = {
  PENDING: "privacy.exportPending",
  READY: "privacy.exportReady",
  EXPIRED: "privacy.exportExpired",
  FAILED: "privacy.exportFailed",
};

export default function MyPrivacy() {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({ query: MyPrivacyQuery, requestPolicy: "network-only" });
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  const accept = useFormMutation(ConsentAcceptMutation, (data) => data.consentAccept);
  const marketing = useFormMutation(MarketingConsentSetMutation, (data) => data.marketingConsentSet);
  const exportRequest = useFormMutation(DataExportRequestMutation, (data) => data.dataExportRequest);
  const erasure = useFormMutation(ErasureRequestMutation, (data) => data.erasureRequest);
  const cancel = useFormMutation(ErasureCancelMutation, (data) => data.erasureCancel);
  const [reason, setReason] = useState("");
  const [requested, setRequested] = useState(false);

  return (
    <div>
      <PageHeader title={t("privacy.title")} subtitle={t("privacy.subtitle")} />
      <QueryState result={result}>
        {(data) => {
          const state = data.myPrivacy;
          const pending = state.erasureRequest?.status === "REQUESTED" ? state.erasureRequest : null;
          return (
            <div className="grid grid-2">
              <Card title={t("privacy.consents")}>
                <ul className="plain-list">
                  <li>
                    {state.currentTermsVersion === 0
                      ? `${t("nav.terms")}: ${t("privacy.noDocument")}`
                      : state.termsVersion
                        ? t("privacy.termsAccepted", { version: state.termsVersion, date: i18n.date(state.termsAcceptedAt) })
                        : `${t("nav.terms")}: ${t("privacy.notAccepted")}`}{" "}
                    <Link to="/terms">{t("privacy.readTerms")}</Link>
                  </li>
                  <li>
                    {state.currentPrivacyVersion === 0
                      ? `${t("nav.privacyPolicy")}: ${t("privacy.noDocument")}`
                      : state.privacyVersion
                        ? t("privacy.policyAccepted", { version: state.privacyVersion, date: i18n.date(state.privacyAcceptedAt) })
                        : `${t("nav.privacyPolicy")}: ${t("privacy.notAccepted")}`}{" "}
                    <Link to="/privacy">{t("privacy.readPolicy")}</Link>
                  </li>
                </ul>
                {state.consentRequired ? (
                  <Form
                    onSubmit={async () => {
                      if (await accept.run({})) refresh();
                    }}
                    errors={accept.errors}
                    busy={accept.fetching}
                    aria-label={t("consent.accept")}
                  >
                    <p>{t("consent.bannerText")}</p>
                    <FormErrors />
                    <SubmitButton>{t("consent.accept")}</SubmitButton>
                  </Form>
                ) : null}
                <Form onSubmit={async () => undefined} errors={marketing.errors} busy={marketing.fetching} aria-label={t("privacy.marketing")}>
                  <CheckboxField
                    name="marketing"
                    label={t("privacy.marketing")}
                    hint={t("privacy.marketingHint")}
                    checked={state.marketingOptIn}
                    onChange={async (optIn) => {
                      if (await marketing.run({ optIn })) refresh();
                    }}
                  />
                  <FormErrors />
                </Form>
              </Card>

              <Card title={t("privacy.export")}>
                <p>{t("privacy.exportLead")}</p>
                <div className="live-region" role="status">
                  {requested ? (
                    <p className="alert alert-success">
                      {t("privacy.exportRequested")}
                    </p>
                  ) : null}
                </div>
                <Form
                  onSubmit={async () => {
                    if (await exportRequest.run({})) {
                      setRequested(true);
                      refresh();
                    }
                  }}
                  errors={exportRequest.errors}
                  busy={exportRequest.fetching}
                  aria-label={t("privacy.export")}
                >
                  <FormErrors />
                  <SubmitButton>{t("privacy.exportButton")}</SubmitButton>
                </Form>
                {state.exports.length === 0 ? (
                  <Empty title={t("privacy.exportsEmpty")} />
                ) : (
                  <ul className="plain-list">
                    {state.exports.map((item) => (
                      <li key={item.id}>
                        {i18n.dateTime(item.requestedAt)} <Badge tone={item.status === "READY" ? "success" : "neutral"}>{t(EXPORT_STATUS[item.status])}</Badge>{" "}
                        {item.downloadUrl ? (
                          <>
                            <a className="button button-small" href={item.downloadUrl} download>
                              {t("privacy.exportDownload")}
                            </a>{" "}
                            <span className="muted">{t("privacy.exportExpires", { date: i18n.date(item.expiresAt) })}</span>
                          </>
                        ) : null}
                      </li>
                    ))}
                  </ul>
                )}
              </Card>

              <Card title={t("privacy.erasure")}>
                <p>{t("privacy.erasureLeadShort")}</p>
                {state.erasureRequest?.status === "REFUSED" ? (
                  <p className="alert alert-warning">{t("privacy.erasureRefused", { reason: state.erasureRequest.decisionReason })}</p>
                ) : null}
                {pending ? (
                  <Form
                    onSubmit={async () => {
                      if (await cancel.run({ id: pending.id })) refresh();
                    }}
                    errors={cancel.errors}
                    busy={cancel.fetching}
                    aria-label={t("privacy.erasureCancel")}
                  >
                    <p role="status">{t("privacy.erasurePending", { date: i18n.date(pending.dueAt) })}</p>
                    <FormErrors />
                    <SubmitButton variant="secondary">{t("privacy.erasureCancel")}</SubmitButton>
                  </Form>
                ) : (
                  <Form
                    onSubmit={async () => {
                      if (!window.confirm(t("privacy.erasureConfirm"))) return;
                      if (await erasure.run({ reason })) {
                        setReason("");
                        refresh();
                      }
                    }}
                    errors={erasure.errors}
                    busy={erasure.fetching}
                    aria-label={t("privacy.erasure")}
                  >
                    <TextAreaField name="reason" label={t("privacy.erasureReason")} value={reason} onChange={setReason} />
                    <FormErrors />
                    <SubmitButton variant="danger">{t("privacy.erasureButton")}</SubmitButton>
                  </Form>
                )}
              </Card>
            </div>
          );
        }}
      </QueryState>
    </div>
  );
}
