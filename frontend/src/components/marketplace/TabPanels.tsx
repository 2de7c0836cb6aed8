/** Tabs as the WAI-ARIA pattern has them: arrow keys, Home and End move between tabs. */
import { useId, useRef, type KeyboardEvent, type ReactNode } from "react";

export interface TabItem<T extends string> {
  value: T;
  label: ReactNode;
  panel: ReactNode;
}

export function TabPanels<T extends string>({ label, value, onChange, tabs }: { label: string; value: T; onChange: (value: T) => void; tabs: TabItem<T>[] }) {
  const base = useId();
  const list = useRef<HTMLDivElement>(null);
  const keys = (event: KeyboardEvent) => {
    const index = tabs.findIndex((tab) => tab.value === value);
    const next =
      event.key === "ArrowRight" ? (index + 1) % tabs.length
      : event.key === "ArrowLeft" ? (index - 1 + tabs.length) % tabs.length
      : event.key === "Home" ? 0
      : event.key === "End" ? tabs.length - 1
      : -1;
    if (next < 0) return;
    event.preventDefault();
    onChange(tabs[next].value);
    list.current?.querySelectorAll<HTMLButtonElement>('[role="tab"]')[next]?.focus();
  };
  return (
    <div className="tab-panels">
      <div className="tab-list" role="tablist" aria-label={label} ref={list} onKeyDown={keys}>
        {tabs.map((tab) => (
          <button
            key={tab.value}
            type="button"
            role="tab"
            id={`${base}-tab-${tab.value}`}
            aria-selected={tab.value === value}
            aria-controls={`${base}-panel-${tab.value}`}
            tabIndex={tab.value === value ? 0 : -1}
            className={tab.value === value ? "tab tab-active" : "tab"}
            onClick={() => onChange(tab.value)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      {tabs.map((tab) => (
        <div
          key={tab.value}
          role="tabpanel"
          id={`${base}-panel-${tab.value}`}
          aria-labelledby={`${base}-tab-${tab.value}`}
          hidden={tab.value !== value}
          tabIndex={0}
          className="tab-panel"
        >
          {tab.value === value ? tab.panel : null}
        </div>
      ))}
    </div>
  );
}
