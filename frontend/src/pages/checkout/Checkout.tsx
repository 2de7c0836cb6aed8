/** Buying a deal: the order form beside a summary of the deal. */
import { Link, useNavigate, useParams } from "react-router";
import { useQuery } from "urql";

import { useSession } from "../../app/session";
import { Countdown } from "../../components/marketplace/countdown";
import { DealPlaceholder } from "../../components/marketplace/DealCard";
import "../../components/marketplace/marketplace.css";
import { PriceTag } from "../../components/marketplace/price";
import { localUrl } from "../../components/marketplace/urls";
import { Empty, QueryState, SkeletonRows } from "../../components/states";
import { Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import { useI18n } from "../../i18n";
import { CheckoutForm, type Placed } from "./CheckoutForm";
import { settled } from "../../components/marketplace/query";

export const CheckoutDealQuery = graphql(`
  query CheckoutDeal($slug: String!) {
    product(slug: $slug) {
      ...DealCardFields
      currency
      minPerPurchase
      maxPerPurchase
    }
    paymentMethods {
      card
      bankTransfer
    }
  }
`);

export default function Checkout() {
  const { t } = useI18n();
  const { me } = useSession();
  const navigate = useNavigate();
  const { slug = "" } = useParams();
  const [result, reexecute] = useQuery({ query: CheckoutDealQuery, variables: { slug }, requestPolicy: "network-only" });
  const placed = (answer: Placed) => {
    if (answer.checkoutUrl) {
      window.location.assign(answer.checkoutUrl);
      return;
    }
    if (answer.order) navigate(`/orders/${answer.order.number}`, { state: { placed: true } });
  };
  return (
    <div className="stack">
      <PageHeader title={t("checkout.title")} />
      <QueryState
        result={settled(result)}
        retry={() => reexecute({ requestPolicy: "network-only" })}
        loading={<SkeletonRows rows={5} />}
        isEmpty={(data) => !data.product || !data.product.isAvailable}
        empty={
          <Empty title={result.data?.product ? t("deal.unavailable") : t("deal.notFound")} action={<Link className="button button-primary" to="/deals">{t("deal.backToDeals")}</Link>} />
        }
      >
        {(data) => {
          const deal = data.product!;
          const image = deal.images[0];
          return (
            <div className="grid grid-sidebar-right checkout-layout">
              <Card title={t("checkout.yourOrder")}>
                <CheckoutForm deal={deal} methods={data.paymentMethods} defaultEmail={me?.email ?? ""} defaultName={me?.fullName ?? ""} onPlaced={placed} />
              </Card>
              <aside className="card checkout-summary" aria-label={t("checkout.summary")}>
                {image ? <img src={localUrl(image.thumbnailUrl)} alt={image.altText} className="checkout-image" /> : <DealPlaceholder title={deal.title} />}
                <h2 className="card-title">
                  <Link to={`/deals/${deal.slug}`}>{deal.title}</Link>
                </h2>
                <p className="muted small">{deal.merchant.displayName}</p>
                <PriceTag price={deal.price} originalPrice={deal.originalPrice} discountPercent={deal.discountPercent} />
                {deal.expiresAt ? <Countdown expiresAt={deal.expiresAt} /> : null}
                <h3>{t("checkout.nextTitle")}</h3>
                <ol className="next-steps small">
                  <li>{t("checkout.next1")}</li>
                  <li>{t("checkout.next2")}</li>
                  <li>{t("checkout.next3")}</li>
                </ol>
              </aside>
            </div>
          );
        }}
      </QueryState>
    </div>
  );
}
