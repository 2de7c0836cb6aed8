/** Share links that are plain URLs: no third-party script runs on the page. */
export interface ShareTarget {
  id: "whatsapp" | "telegram" | "facebook" | "x" | "linkedin" | "email";
  label: string;
  href: string;
}

export function shareTargets(url: string, title: string): ShareTarget[] {
  const u = encodeURIComponent(url);
  const text = encodeURIComponent(title);
  return [
    { id: "whatsapp", label: "WhatsApp", href: `https://wa.me/?text=${encodeURIComponent(`${title} ${url}`)}` },
    { id: "telegram", label: "Telegram", href: `https://t.me/share/url?url=${u}&text=${text}` },
    { id: "facebook", label: "Facebook", href: `https://www.facebook.com/sharer/sharer.php?u=${u}` },
    { id: "x", label: "X", href: `https://x.com/intent/post?url=${u}&text=${text}` },
    { id: "linkedin", label: "LinkedIn", href: `https://www.linkedin.com/sharing/share-offsite/?url=${u}` },
    { id: "email", label: "Email", href: `mailto:?subject=${text}&body=${encodeURIComponent(`${title}\n${url}`)}` },
  ];
}

/** OpenStreetMap centred on the coordinates, with a marker. */
export function openStreetMapUrl(latitude: string, longitude: string, zoom = 16): string {
  // "31.625800" → "31.6258": the API's decimals carry trailing zeros.
  const trim = (value: string) => (value.includes(".") ? value.replace(/0+$/, "").replace(/\.$/, "") : value);
  const lat = encodeURIComponent(trim(latitude.trim()));
  const lon = encodeURIComponent(trim(longitude.trim()));
  return `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=${zoom}/${lat}/${lon}`;
}
