import { describe, expect, it } from "vitest";

import { openStreetMapUrl, shareTargets } from "./share";
import { localUrl } from "./urls";

describe("addresses", () => {
  const here = { hostname: "nova.localhost", origin: "http://nova.localhost:5173" };

  it("keeps only the path of an address on this very host", () => {
    expect(localUrl("https://nova.localhost/media/products/1/a_480.webp", here)).toBe("/media/products/1/a_480.webp");
    expect(localUrl("https://nova.localhost:8000/deals/spa?x=1#top", here)).toBe("/deals/spa?x=1#top");
    expect(localUrl("https://cdn.example.com/a.webp", here)).toBe("https://cdn.example.com/a.webp");
  });

  it("links a local deal to OpenStreetMap with tidy coordinates", () => {
    expect(openStreetMapUrl("31.625800", "-7.989100")).toBe("https://www.openstreetmap.org/?mlat=31.6258&mlon=-7.9891#map=16/31.6258/-7.9891");
    expect(openStreetMapUrl("48", "2.0")).toBe("https://www.openstreetmap.org/?mlat=48&mlon=2#map=16/48/2");
  });

  it("shares with plain URLs, the deal's address encoded", () => {
    const targets = shareTargets("https://nova.example.com/deals/spa day", "Spa & more");
    expect(targets.map((target) => target.id)).toEqual(["whatsapp", "telegram", "facebook", "x", "linkedin", "email"]);
    expect(targets.find((target) => target.id === "facebook")?.href).toBe(
      "https://www.facebook.com/sharer/sharer.php?u=https%3A%2F%2Fnova.example.com%2Fdeals%2Fspa%20day",
    );
    expect(targets.every((target) => /^(https:|mailto:)/.test(target.href))).toBe(true);
  });
});
