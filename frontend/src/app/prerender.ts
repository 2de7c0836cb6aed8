/**
 * The takeover of a page Django prerendered.
 *
 * For the public pages (home, deals, a deal) Django serves their first screen inside
 * `<div id="root" data-prerendered>` (platform/webapp/templates/webapp/prerender/), so a phone
 * paints the deal before the bundle has loaded, and link-preview crawlers and visitors without
 * JavaScript read it.
 *
 * Why not `hydrateRoot`: hydration needs React to render the very same markup on its first
 * pass, which needs the page's data and its lazy route chunk before the first render (an
 * inlined urql cache, server rendering in Node); this stack renders no React on the server.
 * Why not `createRoot` on the prerendered element: React empties it at its first commit, and
 * its first commit is the loading state (lazy route, queries in flight): the page would
 * flash back to a spinner and everything below would shift.
 *
 * So the app renders into a hidden sibling, and when the page's own data is in (its
 * `usePageReady(true)`), the two are swapped in one frame: the prerendered nodes go, the app's
 * identical ones appear where they were, and nothing that stays on screen moves (no layout
 * shift: a node that appears is not a shift). A page that never says it is ready (an error,
 * a redirect) is swapped in after `TAKEOVER_TIMEOUT_MS`.
 */
import { useEffect } from "react";

const TAKEOVER_TIMEOUT_MS = 8000;

let takeOver: (() => void) | null = null;

/** The element the app renders into: `#root`, or a hidden sibling while a prerender shows. */
export function appContainer(doc: Document = document): HTMLElement {
  const root = doc.getElementById("root")!;
  if (!root.hasAttribute("data-prerendered")) return root;
  const app = doc.createElement("div");
  app.id = "app-root";
  app.hidden = true;
  root.after(app);
  let done = false;
  takeOver = () => {
    if (done) return;
    done = true;
    takeOver = null;
    // Someone tabbing through the prerendered page keeps their place: the focused element's
    // twin in the app takes the focus (removing a focused node would drop it to <body>).
    const active = doc.activeElement;
    const twin = active instanceof HTMLElement && root.contains(active) ? counterpart(active, app) : null;
    root.remove();
    app.hidden = false;
    twin?.focus();
  };
  window.setTimeout(() => takeOver?.(), TAKEOVER_TIMEOUT_MS);
  return app;
}

/** The app's element standing where ``element`` stands in the prerendered page: the same id,
 * else the same tag with the same link target, else the same tag, class and text. */
export function counterpart(element: HTMLElement, app: HTMLElement): HTMLElement | null {
  if (element.id) {
    const byId = app.querySelector<HTMLElement>(`#${CSS.escape(element.id)}`);
    if (byId) return byId;
  }
  const href = element.getAttribute("href");
  const text = element.textContent?.trim() ?? "";
  const candidates = Array.from(app.querySelectorAll<HTMLElement>(element.tagName));
  return (
    candidates.find((candidate) =>
      href !== null
        ? candidate.getAttribute("href") === href
        : candidate.className === element.className && (candidate.textContent?.trim() ?? "") === text,
    ) ?? null
  );
}

/** The app's page is ready to replace the prerendered one (a no-op once swapped, or if none). */
export function pageReady(): void {
  const swap = takeOver;
  if (!swap) return;
  // After React has committed and the browser has laid the app out (hidden), in one frame.
  window.requestAnimationFrame(() => swap());
}

/** For the prerendered pages: say when the first screen's data is in. */
export function usePageReady(ready: boolean): void {
  useEffect(() => {
    if (ready) pageReady();
  }, [ready]);
}

/** Is a prerendered page still on screen (the app not swapped in yet)? */
export function prerenderShowing(): boolean {
  return takeOver !== null;
}

/** The server's `<head>` tags (description, canonical, Open Graph, JSON-LD) describe the URL
 * the page was loaded at: gone once the app shows another one, or replaces them (useSeo). */
export function dropServerHead(doc: Document = document): void {
  doc.head.querySelectorAll('[data-head="server"]').forEach((element) => element.remove());
}
