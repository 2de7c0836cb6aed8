/**
 * Brand settings: the brand's addresses. The platform subdomain always works; a custom domain is
 * added, proven by a DNS TXT record (or by pointing it at the platform: the HTTP token), then may
 * become the primary address that every link, email and QR code uses.
 */
import { useRef, useState } from "react";
import { useQuery } from "urql";

import type { UserError } from "../../api/errors";
import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField, useErrorMessage } from "../../components/form";
import { QueryState } from "../../components/states";
import { Badge, Card, CopyButton, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { BrandDomainsFieldsFragment } from "../../gql/graphql";
import { isMessageKey, useI18n } from "../../i18n";
import { FRESH_TWO_FACTOR_REQUIRED, useFreshTwoFactor } from "../security/FreshTwoFactor";

export const BrandDomainsQuery = graphql(`
  query BrandDomains {
    brandDomains {
      ...BrandDomainsFields
    }
  }

  fragment BrandDomainsFields on BrandDomains {
    platformDomain
    primaryDomain
    maxCustomDomains
    customDomains {
      id
      domain
      url
      status
      isPrimary
      verificationRecord {
        type
        name
        value
      }
      routingRecord {
        type
        name
        value
      }
      httpVerificationUrl
      verifiedMethod
      lastCheckedAt
      lastCheckCode
      lastCheckMessage
      verifiedAt
      expiresAt
    }
  }
`);

export const CustomDomainAddMutation = graphql(`
  mutation CustomDomainAdd($domain: String!) {
    customDomainAdd(input: { domain: $domain }) {
      customDomain {
        id
      }
      domains {
        ...BrandDomainsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const CustomDomainVerifyMutation = graphql(`
  mutation CustomDomainVerify($id: ID!) {
    customDomainVerify(id: $id) {
      domains {
        ...BrandDomainsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const CustomDomainMakePrimaryMutation = graphql(`
  mutation CustomDomainMakePrimary($id: ID!) {
    customDomainMakePrimary(id: $id) {
      domains {
        ...BrandDomainsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const CustomDomainRemoveMutation = graphql(`
  mutation CustomDomainRemove($id: ID!) {
    customDomainRemove(id: $id) {
      domains {
        ...BrandDomainsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const BrandPrimaryDomainResetMutation = graphql(`
  mutation BrandPrimaryDomainReset {
    brandPrimaryDomainReset {
      domains {
        ...BrandDomainsFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Domains = BrandDomainsFieldsFragment;
type CustomDomain = Domains["customDomains"][number];
type DnsRecordFields = CustomDomain["verificationRecord"];

const TONES = { PENDING: "info", VERIFIED: "success", FAILED: "danger" } as const;

function RecordRows({ record, label }: { record: DnsRecordFields; label: string }) {
  const { t } = useI18n();
  return (
    <div className="stack" data-testid={`record-${record.type}`}>
      <p>
        <strong>{label}</strong>
      </p>
      <p>
        <span className="muted small block">{t("domains.recordType")}</span>
        <code>{record.type}</code>
      </p>
      <p>
        <span className="muted small block">{t("domains.recordName")}</span>
        <code className="secret">{record.name}</code> <CopyButton text={record.name} />
      </p>
      <p>
        <span className="muted small block">{t("domains.recordValue")}</span>
        <code className="secret">{record.value}</code> <CopyButton text={record.value} />
      </p>
    </div>
  );
}

interface Actions {
  busy: boolean;
  verify: (id: string) => void;
  makePrimary: (id: string) => void;
  remove: (id: string) => void;
}

function DomainCard({ domain, actions }: { domain: CustomDomain; actions: Actions }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [confirming, setConfirming] = useState(false);
  const checkKey = `domains.check.${domain.lastCheckCode}`;
  const reason = domain.lastCheckCode ? (isMessageKey(checkKey) ? t(checkKey) : domain.lastCheckCode) : null;
  return (
    <div data-testid="custom-domain">
      <Card
        title={domain.domain}
        actions={
          <span className="button-row">
            <Badge tone={TONES[domain.status]}>{t(`domains.status.${domain.status}`)}</Badge>
            {domain.isPrimary ? <Badge tone="success">{t("domains.primary")}</Badge> : null}
          </span>
        }
      >
        <div className="stack">
          {domain.status === "VERIFIED" ? (
            <>
              <p className="muted small">
                {t("domains.verifiedOn", {
                  date: i18n.dateTime(domain.verifiedAt),
                  method: t(domain.verifiedMethod === "http" ? "domains.method.http" : "domains.method.dns"),
                })}{" "}
                <a href={`${domain.url}/`} target="_blank" rel="noopener noreferrer">
                  {t("domains.open")}
                </a>
              </p>
              {domain.isPrimary ? null : <p className="muted small">{t("domains.primaryHint")}</p>}
            </>
          ) : (
            <>
              <p>{t("domains.instructions")}</p>
              <RecordRows record={domain.routingRecord} label={t("domains.stepRoute")} />
              <RecordRows record={domain.verificationRecord} label={t("domains.stepProve")} />
              <p className="muted small">
                {t("domains.httpAlternative")} <code className="secret">{domain.httpVerificationUrl}</code>
              </p>
              <div className="live-region" role="status">
                {domain.lastCheckedAt ? (
                  <div className={`alert ${domain.status === "FAILED" ? "alert-error" : "alert-info"}`} data-testid="last-check">
                    <p>
                      {t("domains.lastCheck", { date: i18n.dateTime(domain.lastCheckedAt) })} {reason}
                    </p>
                    {domain.lastCheckMessage ? <p className="muted small">{domain.lastCheckMessage}</p> : null}
                  </div>
                ) : null}
              </div>
              <p className="muted small">
                {domain.status === "FAILED"
                  ? t("domains.failedHint")
                  : t("domains.expiresOn", { date: i18n.dateTime(domain.expiresAt) })}
              </p>
            </>
          )}
          <div className="button-row">
            {domain.status !== "VERIFIED" ? (
              <button type="button" className="button button-primary button-small" disabled={actions.busy} onClick={() => actions.verify(domain.id)}>
                {t("domains.verifyNow")}
              </button>
            ) : null}
            {domain.status === "VERIFIED" && !domain.isPrimary ? (
              <button type="button" className="button button-secondary button-small" disabled={actions.busy} onClick={() => actions.makePrimary(domain.id)}>
                {t("domains.makePrimary")}
              </button>
            ) : null}
            {confirming ? (
              <>
                <button type="button" className="button button-danger button-small" disabled={actions.busy} onClick={() => actions.remove(domain.id)}>
                  {t("domains.confirmRemove")}
                </button>
                <button type="button" className="button button-ghost button-small" onClick={() => setConfirming(false)}>
                  {t("common.cancel")}
                </button>
              </>
            ) : (
              <button type="button" className="button button-ghost button-small" disabled={actions.busy} onClick={() => setConfirming(true)}>
                {t("domains.remove")}
              </button>
            )}
          </div>
        </div>
      </Card>
    </div>
  );
}

function AddDomain({ domains, onDomains }: { domains: Domains; onDomains: (domains: Domains) => void }) {
  const { t } = useI18n();
  const [value, setValue] = useState("");
  const add = useFormMutation(CustomDomainAddMutation, (data) => data.customDomainAdd);
  const submit = async () => {
    const data = await add.run({ domain: value });
    if (data) {
      setValue("");
      onDomains(data.customDomainAdd.domains);
    }
  };
  const full = domains.customDomains.length >= domains.maxCustomDomains;
  return (
    <Card title={t("domains.add")}>
      <Form onSubmit={submit} errors={add.errors} busy={add.fetching} aria-label={t("domains.add")}>
        <TextField
          name="domain"
          label={t("domains.domain")}
          value={value}
          onChange={setValue}
          placeholder="partners.example.com"
          hint={t("domains.addHint", { max: domains.maxCustomDomains })}
          required
        />
        <FormErrors />
        {full ? <p className="muted small">{t("domains.full")}</p> : null}
        <SubmitButton>{t("domains.addButton")}</SubmitButton>
      </Form>
    </Card>
  );
}

/** The brand admin's Domains section of the brand settings. */
export default function Domains() {
  const { t } = useI18n();
  const message = useErrorMessage();
  const [result, reexecute] = useQuery({ query: BrandDomainsQuery, requestPolicy: "cache-and-network" });
  const [latest, setLatest] = useState<Domains | null>(null);
  const verify = useFormMutation(CustomDomainVerifyMutation, (data) => data.customDomainVerify);
  const primary = useFormMutation(CustomDomainMakePrimaryMutation, (data) => data.customDomainMakePrimary);
  const remove = useFormMutation(CustomDomainRemoveMutation, (data) => data.customDomainRemove);
  const reset = useFormMutation(BrandPrimaryDomainResetMutation, (data) => data.brandPrimaryDomainReset);
  const busy = verify.fetching || primary.fetching || remove.fetching || reset.fetching;
  // Making a domain primary asks for a fresh two-factor code (when the admin has two-factor on),
  // then runs again.
  const primaryTarget = useRef<string | null>(null);
  const runPrimary = (id: string) => {
    primaryTarget.current = id;
    void primary.run({ id }).then((data) => data && setLatest(data.customDomainMakePrimary.domains));
  };
  const fresh = useFreshTwoFactor(primary.errors, () => (primaryTarget.current ? runPrimary(primaryTarget.current) : undefined));
  const errors: UserError[] = [...verify.errors, ...primary.errors, ...remove.errors, ...reset.errors].filter(
    (error) => error.code !== FRESH_TWO_FACTOR_REQUIRED,
  );
  const clear = () => [verify, primary, remove, reset].forEach((mutation) => mutation.setErrors([]));
  const actions: Actions = {
    busy,
    verify: (id) => {
      clear();
      void verify.run({ id }).then((data) => data && setLatest(data.customDomainVerify.domains));
    },
    makePrimary: (id) => {
      clear();
      runPrimary(id);
    },
    remove: (id) => {
      clear();
      void remove.run({ id }).then((data) => data && setLatest(data.customDomainRemove.domains));
    },
  };
  return (
    <div className="stack">
      <PageHeader title={t("domains.title")} subtitle={t("domains.subtitle")} />
      {fresh.dialog}
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{message(error)}</p>
          ))}
        </div>
      ) : null}
      <QueryState result={result} retry={() => reexecute({ requestPolicy: "network-only" })}>
        {(data) => {
          const domains = latest ?? data.brandDomains;
          const platformIsPrimary = domains.primaryDomain === domains.platformDomain;
          return (
            <>
              <Card title={t("domains.platform")}>
                <div className="stack" data-testid="platform-domain">
                  <p>
                    <code className="secret">{domains.platformDomain}</code>{" "}
                    {platformIsPrimary ? <Badge tone="success">{t("domains.primary")}</Badge> : null}
                  </p>
                  <p className="muted small">{t("domains.platformHint")}</p>
                  {platformIsPrimary ? null : (
                    <div className="button-row">
                      <button
                        type="button"
                        className="button button-secondary button-small"
                        disabled={busy}
                        onClick={() => {
                          clear();
                          void reset.run({}).then((result) => result && setLatest(result.brandPrimaryDomainReset.domains));
                        }}
                      >
                        {t("domains.makePrimary")}
                      </button>
                    </div>
                  )}
                </div>
              </Card>
              <AddDomain domains={domains} onDomains={setLatest} />
              {domains.customDomains.map((domain) => (
                <DomainCard key={domain.id} domain={domain} actions={actions} />
              ))}
            </>
          );
        }}
      </QueryState>
    </div>
  );
}
