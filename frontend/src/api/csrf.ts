/** Django's CSRF token: the `csrftoken` cookie, sent back in the X-CSRFToken header on POST. */
export const CSRF_COOKIE = "csrftoken";

export function readCookie(name: string, cookies: string = document.cookie): string | null {
  for (const part of cookies.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

/** The page served by Django sets the cookie; under Vite's dev server, ask Django for one. */
export async function ensureCsrfCookie(): Promise<void> {
  if (readCookie(CSRF_COOKIE)) return;
  await fetch("/csrf/", { credentials: "same-origin" });
}
