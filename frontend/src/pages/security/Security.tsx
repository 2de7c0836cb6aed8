/**
 * The security page: set up an authenticator app (QR code, manual key, a first code), see the
 * backup codes once, make new ones, turn two-factor off (with a code; not when it is mandatory
 * for the role). A user who must enrol is sent here before anything else (app/App.tsx).
 */
import { useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { QueryState } from "../../components/states";
import { Badge, Card, CopyButton, PageHeader } from "../../components/ui";
import { useI18n } from "../../i18n";
import {
  TwoFactorBackupCodesRegenerateMutation,
  TwoFactorDisableMutation,
  TwoFactorSetupBeginMutation,
  TwoFactorSetupConfirmMutation,
  TwoFactorStatusQuery,
} from "./documents";

export default function Security() {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: TwoFactorStatusQuery });
  const [backupCodes, setBackupCodes] = useState<string[] | null>(null);
  const refresh = () => reexecute({ requestPolicy: "network-only" });

  return (
    <div>
      <PageHeader title={t("nav.security")} subtitle={t("tf.intro")} />
      <QueryState result={result} retry={refresh}>
        {(data) => {
          const status = data.twoFactorStatus;
          return (
            <div className="grid">
              {status.enrolmentRequired ? (
                <div className="alert alert-warning" role="alert" data-testid="enrolment-required">
                  <p>{t("tf.enrolRequired")}</p>
                </div>
              ) : null}
              {backupCodes ? (
                <BackupCodes codes={backupCodes} onDone={() => setBackupCodes(null)} />
              ) : status.enabled ? (
                <Enabled required={status.required} remaining={status.backupCodesRemaining} onCodes={setBackupCodes} onChanged={refresh} />
              ) : (
                <Setup
                  onEnabled={(codes) => {
                    setBackupCodes(codes);
                    refresh();
                  }}
                />
              )}
            </div>
          );
        }}
      </QueryState>
    </div>
  );
}

function Setup({ onEnabled }: { onEnabled: (codes: string[]) => void }) {
  const { t } = useI18n();
  const begin = useFormMutation(TwoFactorSetupBeginMutation, (data) => data.twoFactorSetupBegin);
  const confirm = useFormMutation(TwoFactorSetupConfirmMutation, (data) => data.twoFactorSetupConfirm);
  const [setup, setSetup] = useState<{ secret: string; qrCodeSvg: string } | null>(null);
  const [code, setCode] = useState("");

  const start = async () => {
    const data = await begin.run({});
    const payload = data?.twoFactorSetupBegin;
    if (payload?.secret && payload.qrCodeSvg) setSetup({ secret: payload.secret, qrCodeSvg: payload.qrCodeSvg });
  };
  const submit = async () => {
    const data = await confirm.run({ code });
    setCode("");
    const codes = data?.twoFactorSetupConfirm.backupCodes;
    if (codes) onEnabled(codes);
  };

  return (
    <Card title={t("tf.setup")}>
      <p>
        <Badge tone="warning">{t("tf.statusOff")}</Badge>
      </p>
      {setup ? (
        <>
          <p>{t("tf.scan")}</p>
          {/* The server's SVG (segno), holding only the otpauth URI: no user markup. */}
          <div className="qr-code" role="img" aria-label={t("tf.qrLabel")} dangerouslySetInnerHTML={{ __html: setup.qrCodeSvg }} />
          <p>{t("tf.manualKey")}</p>
          <p>
            <code className="secret" data-testid="two-factor-secret">
              {setup.secret}
            </code>{" "}
            <CopyButton text={setup.secret} />
          </p>
          <Form onSubmit={submit} errors={confirm.errors} busy={confirm.fetching} aria-label={t("tf.setup")}>
            <TextField name="code" label={t("tf.code")} value={code} onChange={setCode} autoComplete="one-time-code" inputMode="numeric" required />
            <FormErrors />
            <SubmitButton>{t("tf.confirm")}</SubmitButton>
          </Form>
        </>
      ) : (
        <Form onSubmit={start} errors={begin.errors} busy={begin.fetching} aria-label={t("tf.setup")}>
          <FormErrors />
          <SubmitButton>{t("tf.setup")}</SubmitButton>
        </Form>
      )}
    </Card>
  );
}

function BackupCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  const { t } = useI18n();
  return (
    <Card title={t("tf.backupTitle")}>
      <div className="alert alert-warning" role="status">
        <p>{t("tf.backupIntro")}</p>
      </div>
      <ul className="backup-codes" data-testid="backup-codes">
        {codes.map((code) => (
          <li key={code}>
            <code>{code}</code>
          </li>
        ))}
      </ul>
      <div className="button-row">
        <CopyButton text={codes.join("\n")} />
        <button type="button" className="button button-primary" onClick={onDone}>
          {t("tf.backupDone")}
        </button>
      </div>
    </Card>
  );
}

function Enabled({
  required,
  remaining,
  onCodes,
  onChanged,
}: {
  required: boolean;
  remaining: number;
  onCodes: (codes: string[]) => void;
  onChanged: () => void;
}) {
  const { t } = useI18n();
  const [regenerateCode, setRegenerateCode] = useState("");
  const [disableCode, setDisableCode] = useState("");
  const regenerate = useFormMutation(TwoFactorBackupCodesRegenerateMutation, (data) => data.twoFactorBackupCodesRegenerate);
  const disable = useFormMutation(TwoFactorDisableMutation, (data) => data.twoFactorDisable);

  const submitRegenerate = async () => {
    const data = await regenerate.run({ code: regenerateCode });
    setRegenerateCode("");
    const codes = data?.twoFactorBackupCodesRegenerate.backupCodes;
    if (codes) onCodes(codes);
  };
  const submitDisable = async () => {
    const data = await disable.run({ code: disableCode });
    setDisableCode("");
    if (data?.twoFactorDisable.ok) onChanged();
  };

  return (
    <>
      <Card title={t("tf.loginTitle")}>
        <p>
          <Badge tone="success">{t("tf.statusOn")}</Badge> {required ? t("tf.mandatory") : null}
        </p>
        <p>{t("tf.backupRemaining", { count: String(remaining) })}</p>
      </Card>
      <Card title={t("tf.regenerate")}>
        <p>{t("tf.regenerateHint")}</p>
        <Form onSubmit={submitRegenerate} errors={regenerate.errors} busy={regenerate.fetching} aria-label={t("tf.regenerate")}>
          <TextField name="code" label={t("tf.code")} value={regenerateCode} onChange={setRegenerateCode} autoComplete="one-time-code" required />
          <FormErrors />
          <SubmitButton variant="secondary">{t("tf.regenerate")}</SubmitButton>
        </Form>
      </Card>
      {required ? null : (
        <Card title={t("tf.disable")}>
          <p>{t("tf.disableHint")}</p>
          <Form onSubmit={submitDisable} errors={disable.errors} busy={disable.fetching} aria-label={t("tf.disable")}>
            <TextField name="code" label={t("tf.code")} value={disableCode} onChange={setDisableCode} autoComplete="one-time-code" required />
            <FormErrors />
            <SubmitButton variant="danger">{t("tf.disable")}</SubmitButton>
          </Form>
        </Card>
      )}
    </>
  );
}
