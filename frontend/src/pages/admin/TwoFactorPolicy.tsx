/** The brand setting of the roles that must use two-factor authentication (brand settings page). */
import { useEffect, useState } from "react";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { ChoiceGroup, Form, FormErrors, SubmitButton } from "../../components/form";
import { Card } from "../../components/ui";
import type { Role } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { TwoFactorPolicyQuery, TwoFactorPolicyUpdateMutation } from "../security/documents";

const BRAND_ROLES = ["BRAND_ADMIN", "MERCHANT", "AFFILIATE", "CUSTOMER"] as const;

export function TwoFactorPolicy() {
  const { t } = useI18n();
  const [{ data }] = useQuery({ query: TwoFactorPolicyQuery });
  const [roles, setRoles] = useState<string[]>([]);
  const [saved, setSaved] = useState(false);
  const update = useFormMutation(TwoFactorPolicyUpdateMutation, (result) => result.brandUpdate);
  const current = data?.brand?.twoFactorRequiredRoles;
  useEffect(() => {
    if (current) setRoles(current);
  }, [current]);

  const submit = async () => {
    const result = await update.run({ roles: roles as Role[] });
    setSaved(Boolean(result));
  };

  return (
    <Card title={t("tf.policyTitle")}>
      <div className="live-region" role="status">
        {saved ? (
          <div className="alert alert-success">
            <p>{t("tf.policySaved")}</p>
          </div>
        ) : null}
      </div>
      <Form onSubmit={submit} errors={update.errors} busy={update.fetching} aria-label={t("tf.policyTitle")}>
        <ChoiceGroup
          name="twoFactorRequiredRoles"
          type="checkbox"
          legend={t("tf.policyIntro")}
          value={roles}
          onChange={(value) => {
            setRoles(value);
            setSaved(false);
          }}
          options={BRAND_ROLES.map((role) => ({ value: role, label: t(`tf.role.${role}`) }))}
        />
        <FormErrors />
        <SubmitButton>{t("common.save")}</SubmitButton>
      </Form>
    </Card>
  );
}
