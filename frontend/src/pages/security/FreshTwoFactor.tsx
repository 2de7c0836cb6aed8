/**
 * A fresh two-factor check before a sensitive action (a withdrawal, an API token): when the
 * server answers FRESH_TWO_FACTOR_REQUIRED, ask for a code, then run the action again.
 *
 *   const fresh = useFreshTwoFactor(request.errors, submit);
 *   ... {fresh.dialog}
 */
import { useEffect, useRef, useState } from "react";

import { useFormMutation } from "../../api/mutation";
import type { UserError } from "../../api/errors";
import { Form, FormErrors, SubmitButton, TextField } from "../../components/form";
import { Dialog } from "../../components/ui";
import { useI18n } from "../../i18n";
import { TwoFactorVerifyMutation } from "./documents";

export const FRESH_TWO_FACTOR_REQUIRED = "FRESH_TWO_FACTOR_REQUIRED";

export function useFreshTwoFactor(errors: UserError[], retry: () => void | Promise<void>) {
  const [open, setOpen] = useState(false);
  const retryRef = useRef(retry);
  retryRef.current = retry;
  useEffect(() => {
    if (errors.some((error) => error.code === FRESH_TWO_FACTOR_REQUIRED)) setOpen(true);
  }, [errors]);
  const dialog = (
    <FreshTwoFactorDialog
      open={open}
      onClose={() => setOpen(false)}
      onVerified={() => {
        setOpen(false);
        void retryRef.current();
      }}
    />
  );
  return { dialog };
}

function FreshTwoFactorDialog({ open, onClose, onVerified }: { open: boolean; onClose: () => void; onVerified: () => void }) {
  const { t } = useI18n();
  const [code, setCode] = useState("");
  const verify = useFormMutation(TwoFactorVerifyMutation, (data) => data.twoFactorVerify);
  const submit = async () => {
    const data = await verify.run({ code });
    setCode("");
    if (data?.twoFactorVerify.ok) onVerified();
  };
  return (
    <Dialog open={open} title={t("tf.freshTitle")} onClose={onClose}>
      <p>{t("tf.freshIntro")}</p>
      <Form onSubmit={submit} errors={verify.errors} busy={verify.fetching} aria-label={t("tf.freshTitle")}>
        <TextField name="code" label={t("tf.code")} hint={t("tf.codeHint")} value={code} onChange={setCode} autoComplete="one-time-code" autoFocus required />
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{t("tf.verify")}</SubmitButton>
          <button type="button" className="button button-ghost" onClick={onClose}>
            {t("common.cancel")}
          </button>
        </div>
      </Form>
    </Dialog>
  );
}
