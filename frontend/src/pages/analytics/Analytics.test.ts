import { describe, expect, it } from "vitest";

import { translate } from "../../i18n";
import { breakdownLabel } from "./Analytics";

describe("analytics breakdown labels", () => {
  it("names the empty value in the reader's language, whatever the server's label", () => {
    const fr = (key: Parameters<typeof translate>[1]) => translate("fr", key);
    const en = (key: Parameters<typeof translate>[1]) => translate("en", key);

    expect(breakdownLabel(fr, "COUNTRY", { value: "", label: "" })).toBe("Inconnu");
    expect(breakdownLabel(fr, "LINK", { value: "", label: "No link (coupon or direct sale)" })).toBe("Sans lien (coupon ou vente directe)");
    expect(breakdownLabel(en, "LINK", { value: "", label: "" })).toBe("No link (coupon or direct sale)");
    expect(breakdownLabel(fr, "AFFILIATE", { value: "", label: "" })).toBe("(aucune)");
  });

  it("keeps the names of real values", () => {
    const fr = (key: Parameters<typeof translate>[1]) => translate("fr", key);
    expect(breakdownLabel(fr, "LINK", { value: "12", label: "Spa (abc)" })).toBe("Spa (abc)");
    expect(breakdownLabel(fr, "COUNTRY", { value: "FR", label: "FR" })).toBe("FR");
  });

  it("words the codes of devices and traffic sources", () => {
    const fr = (key: Parameters<typeof translate>[1]) => translate("fr", key);
    expect(breakdownLabel(fr, "DEVICE", { value: "desktop", label: "desktop" })).toBe("Ordinateur");
    expect(breakdownLabel(fr, "SOURCE", { value: "direct", label: "direct" })).toBe("Accès direct");
    expect(breakdownLabel(fr, "BROWSER", { value: "Chrome", label: "Chrome" })).toBe("Chrome");
  });
});
