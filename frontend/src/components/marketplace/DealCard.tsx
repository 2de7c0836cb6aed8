/** A deal in a grid: picture with its discount, title, merchant, rating, price and time left. */
import { Link } from "react-router";

import type { DealCardFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { Countdown, SOON_HOURS } from "./countdown";
import { DiscountBadge, PriceTag } from "./price";
import { Stars } from "./Stars";
import { localUrl } from "./urls";

export function endsSoon(expiresAt: string | null | undefined, now: number = Date.now()): boolean {
  if (!expiresAt) return false;
  const left = new Date(expiresAt).getTime() - now;
  return left > 0 && left <= SOON_HOURS * 3600 * 1000;
}

export function DealPlaceholder({ title }: { title: string }) {
  return (
    <div className="deal-placeholder" aria-hidden="true">
      <span>{title.slice(0, 1)}</span>
    </div>
  );
}

/** ``eager``: above the fold (the first page of a list), so the picture loads at once. */
export function DealCard({ deal, eager = false }: { deal: DealCardFieldsFragment; eager?: boolean }) {
  const { t } = useI18n();
  const image = deal.images[0];
  const soldOut = deal.stock === 0;
  return (
    <article className="deal-card" data-testid="deal-card" data-slug={deal.slug}>
      <div className="deal-card-media">
        {image ? <img src={localUrl(image.thumbnailUrl)} alt={image.altText} loading={eager ? "eager" : "lazy"} width={480} height={320} /> : <DealPlaceholder title={deal.title} />}
        <DiscountBadge discountPercent={deal.discountPercent} className="deal-card-discount" />
        {deal.isDealOfTheDay ? (
          <span className="deal-ribbon deal-ribbon-day">{t("deal.dealOfTheDay")}</span>
        ) : deal.isFeatured ? (
          <span className="deal-ribbon">{t("deal.featured")}</span>
        ) : null}
      </div>
      <div className="deal-card-body">
        <h3 className="deal-card-title">
          {/* The whole card is clickable through this link (see .deal-card-title a::after). */}
          <Link to={`/deals/${deal.slug}`}>{deal.title}</Link>
        </h3>
        <p className="deal-card-meta muted small">
          {deal.merchant.displayName}
          {deal.location?.address ? <> · {deal.location.address}</> : null}
        </p>
        {deal.reviewSummary.count > 0 ? <Stars value={deal.reviewSummary.average} count={deal.reviewSummary.count} /> : null}
        <div className="deal-card-foot">
          <PriceTag price={deal.price} originalPrice={deal.originalPrice} discountPercent={deal.discountPercent} showBadge={false} />
          {soldOut ? <span className="badge badge-danger">{t("deal.soldOut")}</span> : null}
        </div>
        {deal.expiresAt && endsSoon(deal.expiresAt) ? <Countdown expiresAt={deal.expiresAt} compact /> : null}
      </div>
    </article>
  );
}
