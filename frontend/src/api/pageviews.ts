/**
 * First-party page views of the brand's own pages: one small POST to /a/collect per page the
 * visitor opens (no cookie; the server hashes the IP with a daily salt). A session id lives
 * in sessionStorage, for the tab's lifetime.
 */
const SESSION_KEY = "afp.sid";
let firstView = true;

export function sessionId(storage: Storage = window.sessionStorage): string {
  let value: string | null = null;
  try {
    value = storage.getItem(SESSION_KEY);
  } catch {
    /* storage refused: a new id per page */
  }
  if (!value || !/^[A-Za-z0-9_-]{16,64}$/.test(value)) {
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    value = Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
    try {
      storage.setItem(SESSION_KEY, value);
    } catch {
      /* see above */
    }
  }
  return value;
}

export function pageViewBody(path: string): string {
  // Only the landing view has an outside referrer; later views come from this site.
  const referrer = firstView ? document.referrer : "";
  firstView = false;
  return JSON.stringify({
    path,
    referrer,
    sessionId: sessionId(),
    screen: `${window.screen.width}x${window.screen.height}`,
  });
}

export function recordPageView(path: string): void {
  const body = pageViewBody(path);
  void fetch("/a/collect", {
    method: "POST",
    body,
    keepalive: true,
    credentials: "omit",
    headers: { "Content-Type": "application/json" },
  }).catch(() => undefined); // analytics never gets in the visitor's way
}
