/** A deal's price: what you pay, the usual price struck through, and the saving as a badge. */
import { useI18n, type Language } from "../../i18n";

interface Money {
  amount: string;
  currency: string;
}

/** Whole percent, rounded down (the API rounds down to 0.01 %): "35.99" → 35. Null for no saving. */
export function wholeDiscount(discountPercent: string | null | undefined): number | null {
  if (!discountPercent) return null;
  const match = /^(\d+)/.exec(discountPercent.trim());
  const whole = match ? Number(match[1]) : 0;
  return whole > 0 ? whole : null;
}

/** "−35 %" (French) or "−35%" (English); null when there is no saving worth showing. */
export function discountLabel(discountPercent: string | null | undefined, lang: Language): string | null {
  const whole = wholeDiscount(discountPercent);
  if (whole === null) return null;
  return lang === "fr" ? `−${whole} %` : `−${whole}%`;
}

/** Is the original price above the price? Compared as decimals, without floats. */
export function isReduced(price: Money, originalPrice: Money): boolean {
  return compareDecimal(originalPrice.amount, price.amount) > 0;
}

/** Compares two non-negative decimal strings exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const [aWhole, aFraction = ""] = a.trim().replace(/^0+(?=\d)/, "").split(".");
  const [bWhole, bFraction = ""] = b.trim().replace(/^0+(?=\d)/, "").split(".");
  if (aWhole.length !== bWhole.length) return aWhole.length > bWhole.length ? 1 : -1;
  if (aWhole !== bWhole) return aWhole > bWhole ? 1 : -1;
  const width = Math.max(aFraction.length, bFraction.length);
  const x = aFraction.padEnd(width, "0");
  const y = bFraction.padEnd(width, "0");
  return x === y ? 0 : x > y ? 1 : -1;
}

export function DiscountBadge({ discountPercent, className }: { discountPercent: string; className?: string }) {
  const { lang, t } = useI18n();
  const label = discountLabel(discountPercent, lang);
  if (!label) return null;
  return (
    <span className={`discount-badge${className ? ` ${className}` : ""}`} data-testid="discount-badge">
      <span className="visually-hidden">{t("deal.saving")} </span>
      {label}
    </span>
  );
}

export function PriceTag({
  price,
  originalPrice,
  discountPercent,
  size = "normal",
  showBadge = true,
}: {
  price: Money;
  originalPrice: Money;
  discountPercent: string;
  size?: "normal" | "large";
  /** False where the badge already shows elsewhere (on a card's picture). */
  showBadge?: boolean;
}) {
  const i18n = useI18n();
  const reduced = isReduced(price, originalPrice);
  return (
    <p className={`price-tag price-tag-${size}`} data-testid="price-tag">
      <span className="visually-hidden">{i18n.t("deal.price")} </span>
      <strong className="price-now">{i18n.money(price)}</strong>
      {reduced ? (
        <>
          {" "}
          <s className="price-was">
            <span className="visually-hidden">{i18n.t("deal.originalPrice")} </span>
            {i18n.money(originalPrice)}
          </s>
          {showBadge ? (
            <>
              {" "}
              <DiscountBadge discountPercent={discountPercent} />
            </>
          ) : null}
        </>
      ) : null}
    </p>
  );
}

/** ``amount`` × ``quantity``, exactly (decimal string in, decimal string out, no float). */
export function timesQuantity(amount: string, quantity: number): string {
  const [whole, fraction = ""] = amount.trim().split(".");
  const negative = whole.startsWith("-");
  const digits = BigInt((negative ? whole.slice(1) : whole) + fraction || "0") * BigInt(Math.max(0, Math.trunc(quantity)));
  let text = digits.toString().padStart(fraction.length + 1, "0");
  if (fraction.length) text = `${text.slice(0, -fraction.length)}.${text.slice(-fraction.length)}`;
  return negative && digits !== 0n ? `-${text}` : text;
}
