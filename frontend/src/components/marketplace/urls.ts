/**
 * The API gives absolute addresses on the brand's host (images, product pages). On this very
 * host, use the path: the page's own scheme and port then apply (Vite's dev server and its proxy,
 * a test server on a random port, a brand behind a proxy), and the session cookie goes along.
 */
export function localUrl(url: string, location: Pick<Location, "hostname" | "origin"> = window.location): string {
  try {
    const parsed = new URL(url, location.origin);
    if (parsed.hostname === location.hostname) return `${parsed.pathname}${parsed.search}${parsed.hash}`;
    return url;
  } catch {
    return url;
  }
}
