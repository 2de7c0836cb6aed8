import { isMessageKey, useI18n } from "../../i18n";

/** An audit action's translated label, or its raw code when the catalog has none. */
export function useAuditActionLabel(): (action: string) => string {
  const { t } = useI18n();
  return (action) => {
    const key = `auditAction.${action}`;
    return isMessageKey(key) ? t(key) : action;
  };
}
