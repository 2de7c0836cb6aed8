/** Small building blocks every page uses; their look comes from the theme's variables. */
import { useEffect, useRef, useState, type ReactNode } from "react";

import { useI18n } from "../i18n";

export function PageHeader({ title, subtitle, actions }: { title: ReactNode; subtitle?: ReactNode; actions?: ReactNode }) {
  return (
    <header className="page-header">
      <div>
        <h1>{title}</h1>
        {subtitle ? <p className="muted">{subtitle}</p> : null}
      </div>
      {actions ? <div className="page-actions">{actions}</div> : null}
    </header>
  );
}

export function Card({ title, children, className, actions }: { title?: ReactNode; children: ReactNode; className?: string; actions?: ReactNode }) {
  return (
    <section className={`card${className ? ` ${className}` : ""}`}>
      {title || actions ? (
        <div className="card-header">
          {title ? <h2 className="card-title">{title}</h2> : <span />}
          {actions}
        </div>
      ) : null}
      {children}
    </section>
  );
}

export function StatCard({ label, value, hint, live, testId }: { label: ReactNode; value: ReactNode; hint?: ReactNode; live?: boolean; testId?: string }) {
  return (
    <div className="stat-card" data-testid={testId}>
      <p className="stat-label">
        {label}
        {live ? <span className="live-dot" aria-hidden="true" /> : null}
      </p>
      <p className="stat-value" aria-live={live ? "polite" : undefined}>
        {value}
      </p>
      {hint ? <p className="stat-hint muted">{hint}</p> : null}
    </div>
  );
}

export function Badge({ tone = "neutral", children }: { tone?: "neutral" | "success" | "warning" | "danger" | "info"; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

/** Copies ``text`` to the clipboard; says so to screen readers too. */
export function CopyButton({ text, label, className }: { text: string; label?: string; className?: string }) {
  const { t } = useI18n();
  const [copied, setCopied] = useState(false);
  const timer = useRef<number>();
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
    }
    setCopied(true);
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setCopied(false), 2000);
  };
  return (
    <button type="button" className={className ?? "button button-secondary button-small"} onClick={copy}>
      <span aria-live="polite">{copied ? t("common.copied") : label ?? t("common.copy")}</span>
    </button>
  );
}

export function Tabs<T extends string>({ label, value, options, onChange }: { label: string; value: T; options: { value: T; label: string }[]; onChange: (value: T) => void }) {
  return (
    <div className="segmented" role="group" aria-label={label}>
      {options.map((option) => (
        <button
          key={option.value}
          type="button"
          className={option.value === value ? "segment segment-active" : "segment"}
          aria-pressed={option.value === value}
          onClick={() => onChange(option.value)}
        >
          {option.label}
        </button>
      ))}
    </div>
  );
}

/** A modal dialog on the native <dialog> (focus trap and Escape for free). */
export function Dialog({ open, title, onClose, children }: { open: boolean; title: ReactNode; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
    }
    if (!open && dialog.open) {
      if (typeof dialog.close === "function") dialog.close();
      else dialog.removeAttribute("open");
    }
  }, [open]);
  return (
    <dialog ref={ref} className="dialog" onClose={onClose} aria-labelledby="dialog-title">
      {open ? (
        <>
          <div className="dialog-header">
            <h2 id="dialog-title">{title}</h2>
          </div>
          {children}
        </>
      ) : null}
    </dialog>
  );
}

/** "First page" / "Next page" under a cursor-paginated list (Relay `pageInfo`). */
export function Pager({
  after,
  pageInfo,
  onPage,
}: {
  after: string | null;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null };
  onPage: (cursor: string | null) => void;
}) {
  const { t } = useI18n();
  return (
    <div className="button-row">
      {after ? (
        <button type="button" className="button button-ghost" onClick={() => onPage(null)}>
          {t("common.first")}
        </button>
      ) : null}
      {pageInfo.hasNextPage ? (
        <button type="button" className="button button-secondary" onClick={() => onPage(pageInfo.endCursor ?? null)}>
          {t("common.next")}
        </button>
      ) : null}
    </div>
  );
}
