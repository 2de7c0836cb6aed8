/** Loading, empty and error states, the same everywhere. */
import type { ReactNode } from "react";
import type { CombinedError } from "urql";
import { Link } from "react-router";

import { errorCode } from "../api/errors";
import { useI18n } from "../i18n";

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span>{label ?? t("common.loading")}</span>
    </div>
  );
}

export function SkeletonRows({ rows = 3 }: { rows?: number }) {
  const { t } = useI18n();
  return (
    <div className="skeleton" role="status" aria-label={t("common.loading")}>
      {Array.from({ length: rows }, (_, index) => (
        <div className="skeleton-row" key={index} />
      ))}
    </div>
  );
}

export function Empty({ title, children, action }: { title: ReactNode; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <p className="muted">{children}</p> : null}
      {action}
    </div>
  );
}

export function ErrorState({ error, retry }: { error?: CombinedError; retry?: () => void }) {
  const { t } = useI18n();
  const code = errorCode(error);
  const message =
    code === "UNAUTHENTICATED"
      ? t("state.unauthenticated")
      : code === "FORBIDDEN"
        ? t("state.forbidden")
        : code === "NETWORK"
          ? t("state.network")
          : t("state.error");
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{message}</p>
      {code === "UNAUTHENTICATED" ? (
        <Link className="button button-primary" to="/login">
          {t("nav.login")}
        </Link>
      ) : retry ? (
        <button type="button" className="button button-secondary" onClick={retry}>
          {t("common.retry")}
        </button>
      ) : null}
    </div>
  );
}

/**
 * One place for a query's three states:
 *   <QueryState result={result} isEmpty={(d) => d.items.length === 0} empty={<Empty .../>}>
 *     {(data) => ...}
 *   </QueryState>
 */
export function QueryState<Data>({
  result,
  children,
  isEmpty,
  empty,
  loading,
  retry,
}: {
  result: { data?: Data | null; fetching: boolean; error?: CombinedError };
  children: (data: Data) => ReactNode;
  isEmpty?: (data: Data) => boolean;
  empty?: ReactNode;
  loading?: ReactNode;
  retry?: () => void;
}) {
  // urql gives `data: null` when a non-null root field failed: an error, not a page to render.
  if (result.data === undefined || result.data === null) {
    if (result.error) return <ErrorState error={result.error} retry={retry} />;
    return <>{loading ?? <SkeletonRows />}</>;
  }
  if (isEmpty?.(result.data)) return <>{empty}</>;
  return <>{children(result.data)}</>;
}
