/** The time left before a deal ends, ticking every second. */
import { useEffect, useState } from "react";

import { useI18n } from "../../i18n";

export interface TimeLeft {
  /** Milliseconds left (0 once ended). */
  total: number;
  days: number;
  hours: number;
  minutes: number;
  seconds: number;
}

export function timeLeft(expiresAt: string, now: number): TimeLeft {
  const total = Math.max(0, new Date(expiresAt).getTime() - now);
  const seconds = Math.floor(total / 1000);
  return {
    total,
    days: Math.floor(seconds / 86_400),
    hours: Math.floor((seconds % 86_400) / 3600),
    minutes: Math.floor((seconds % 3600) / 60),
    seconds: seconds % 60,
  };
}

const two = (value: number) => String(value).padStart(2, "0");

/** "2 d 04:05:06" / "2 j 04:05:06", or "04:05:06" under a day. */
export function formatTimeLeft(left: TimeLeft, dayUnit: string): string {
  const clock = `${two(left.hours)}:${two(left.minutes)}:${two(left.seconds)}`;
  return left.days > 0 ? `${left.days} ${dayUnit} ${clock}` : clock;
}

/** The current time, refreshed every ``intervalMs`` while mounted. */
export function useNow(intervalMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), intervalMs);
    return () => window.clearInterval(timer);
  }, [intervalMs]);
  return now;
}

/** Deals ending within this many hours get a countdown on their card too. */
export const SOON_HOURS = 72;

export function Countdown({ expiresAt, compact = false }: { expiresAt: string; compact?: boolean }) {
  const { t } = useI18n();
  const now = useNow();
  const left = timeLeft(expiresAt, now);
  if (left.total === 0) {
    return (
      <p className="countdown countdown-ended" data-testid="countdown" data-ended="true">
        {t("deal.ended")}
      </p>
    );
  }
  const text = formatTimeLeft(left, t("deal.dayUnit"));
  return (
    <p className={`countdown${compact ? " countdown-compact" : ""}${left.days === 0 ? " countdown-urgent" : ""}`} data-testid="countdown">
      <span className="countdown-label">{t("deal.endsIn")}</span>{" "}
      {/* role=timer: assistive technology does not announce every tick. */}
      <time role="timer" dateTime={expiresAt} className="countdown-value">
        {text}
      </time>
    </p>
  );
}
