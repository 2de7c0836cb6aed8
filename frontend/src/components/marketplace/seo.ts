/**
 * A deal page's search-engine and link-preview data in <head> while it is open: title,
 * description, canonical URL, Open Graph tags and schema.org JSON-LD. Removed on leaving.
 */
import { useEffect } from "react";

import { dropServerHead } from "../../app/prerender";

interface Seo {
  title: string;
  description: string;
  canonicalUrl: string;
  openGraphImage?: string | null;
  jsonLd: unknown;
}

export function useSeo(seo: Seo | null | undefined): void {
  useEffect(() => {
    if (!seo) return;
    dropServerHead(); // the same data, served with the page: replaced, not doubled
    const added: Element[] = [];
    const add = (tag: string, attributes: Record<string, string>, text?: string) => {
      const element = document.createElement(tag);
      for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
      element.setAttribute("data-seo", "deal");
      if (text !== undefined) element.textContent = text;
      document.head.appendChild(element);
      added.push(element);
    };
    const previousTitle = document.title;
    document.title = seo.title;
    add("meta", { name: "description", content: seo.description });
    add("link", { rel: "canonical", href: seo.canonicalUrl });
    add("meta", { property: "og:type", content: "product" });
    add("meta", { property: "og:title", content: seo.title });
    add("meta", { property: "og:description", content: seo.description });
    add("meta", { property: "og:url", content: seo.canonicalUrl });
    if (seo.openGraphImage) add("meta", { property: "og:image", content: seo.openGraphImage });
    add("script", { type: "application/ld+json" }, JSON.stringify(seo.jsonLd).replace(/</g, "\\u003c"));
    return () => {
      added.forEach((element) => element.remove());
      document.title = previousTitle;
    };
  }, [seo]);
}
