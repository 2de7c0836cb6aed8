/**
 * A deal page, Groupon style: gallery, price struck through with the saving, countdown, the buy
 * button, share links, a map link for local deals, the affiliate's "promote this deal", and
 * tabs for the overview, the conditions and the reviews.
 */
import { useEffect, useState } from "react";
import { Link, useParams } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { usePageReady } from "../../app/prerender";
import { useSession } from "../../app/session";
import { Form, FormErrors, SubmitButton, TextAreaField } from "../../components/form";
import { Countdown } from "../../components/marketplace/countdown";
import "../../components/marketplace/marketplace.css";
import { Gallery } from "../../components/marketplace/Gallery";
import { PriceTag } from "../../components/marketplace/price";
import { ReviewForm } from "../../components/marketplace/ReviewForm";
import { useSeo } from "../../components/marketplace/seo";
import { openStreetMapUrl, shareTargets } from "../../components/marketplace/share";
import { Stars } from "../../components/marketplace/Stars";
import { TabPanels } from "../../components/marketplace/TabPanels";
import { Empty, ErrorState, QueryState, SkeletonRows } from "../../components/states";
import { Badge, Card, CopyButton } from "../../components/ui";
import { graphql } from "../../gql";
import type { DealFieldsFragment } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { settled } from "../../components/marketplace/query";

export const DealQuery = graphql(`
  query Deal($slug: String!) {
    product(slug: $slug) {
      ...DealFields
    }
  }
`);

export const DealReviewsQuery = graphql(`
  query DealReviews($productId: ID!, $after: String) {
    productReviews(productId: $productId, first: 10, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          rating
          title
          body
          authorName
          createdAt
        }
      }
    }
  }
`);

export const MyDealRequestsQuery = graphql(`
  query MyDealRequests {
    myProductAffiliationRequests(first: 100) {
      edges {
        node {
          id
          status
          decisionNote
          createdAt
          product {
            id
          }
        }
      }
    }
  }
`);

export const DealAffiliationRequestMutation = graphql(`
  mutation DealAffiliationRequest($productId: ID!, $message: String!) {
    productAffiliationRequest(productId: $productId, message: $message) {
      request {
        id
        status
        decisionNote
        createdAt
        product {
          id
        }
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const DealLinkCreateMutation = graphql(`
  mutation DealLinkCreate($productId: ID!, $title: String!) {
    productLinkCreate(productId: $productId, title: $title) {
      link {
        id
        code
        url
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Deal = DealFieldsFragment;
type Tab = "overview" | "conditions" | "reviews";


/** A map pin, drawn (an emoji pin shows as an empty box where no emoji font is installed). */
function PinIcon() {
  return (
    <svg className="pin-icon" width="12" height="14" viewBox="0 0 12 14" aria-hidden="true" focusable="false">
      <path d="M6 0a5 5 0 0 0-5 5c0 3.6 5 9 5 9s5-5.4 5-9a5 5 0 0 0-5-5zm0 7a2 2 0 1 1 0-4 2 2 0 0 1 0 4z" fill="currentColor" />
    </svg>
  );
}

function List({ items, className }: { items: string[]; className?: string }) {
  if (!items.length) return null;
  return (
    <ul className={className ?? "deal-list"}>
      {items.map((item, index) => (
        <li key={index}>{item}</li>
      ))}
    </ul>
  );
}

function Overview({ deal }: { deal: Deal }) {
  const { t } = useI18n();
  return (
    <div className="stack-tight deal-overview">
      {deal.highlights.length ? (
        <section>
          <h2 className="deal-subhead">{t("deal.highlights")}</h2>
          <List items={deal.highlights} className="deal-list deal-list-check" />
        </section>
      ) : null}
      {/* Sanitized by the server (an allow-list of tags) when the merchant saved it. */}
      {deal.descriptionHtml ? <div className="rich-text" dangerouslySetInnerHTML={{ __html: deal.descriptionHtml }} /> : null}
      {deal.included.length ? (
        <section>
          <h2 className="deal-subhead">{t("deal.included")}</h2>
          <List items={deal.included} />
        </section>
      ) : null}
      {deal.howItWorks.length ? (
        <section>
          <h2 className="deal-subhead">{t("deal.howItWorks")}</h2>
          <ol className="deal-list">
            {deal.howItWorks.map((step, index) => (
              <li key={index}>{step}</li>
            ))}
          </ol>
        </section>
      ) : null}
      {deal.merchant.description ? (
        <section>
          <h2 className="deal-subhead">{t("deal.aboutMerchant", { merchant: deal.merchant.displayName })}</h2>
          <p>{deal.merchant.description}</p>
          {deal.merchant.website ? (
            <a href={deal.merchant.website} rel="noopener noreferrer nofollow" target="_blank">
              {deal.merchant.website}
            </a>
          ) : null}
        </section>
      ) : null}
    </div>
  );
}

function Conditions({ deal }: { deal: Deal }) {
  const { t } = useI18n();
  return (
    <div className="stack-tight">
      {deal.conditions ? <p className="pre-line">{deal.conditions}</p> : <p className="muted">{t("deal.noConditions")}</p>}
      <p className="muted small">{t("deal.perPurchase", { min: deal.minPerPurchase, max: deal.maxPerPurchase })}</p>
      {deal.faq.length ? (
        <section>
          <h2 className="deal-subhead">{t("deal.faq")}</h2>
          <div className="accordion">
            {deal.faq.map((entry, index) => (
              <details key={index} className="accordion-item">
                <summary>{entry.question}</summary>
                <p className="pre-line">{entry.answer}</p>
              </details>
            ))}
          </div>
        </section>
      ) : null}
    </div>
  );
}

function ReviewsPage({ productId, after, isLast, onMore }: { productId: string; after: string | null; isLast: boolean; onMore: (cursor: string) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const [result, reexecute] = useQuery({ query: DealReviewsQuery, variables: { productId, after }, requestPolicy: "cache-and-network" });
  const connection = result.data?.productReviews;
  if (!connection) return result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={2} />;
  if (connection.edges.length === 0 && after === null) return <Empty title={t("reviews.empty")}>{t("reviews.emptyHint")}</Empty>;
  return (
    <>
      {connection.edges.map(({ node }) => (
        <article key={node.id} className="review" data-testid="review">
          <Stars value={node.rating} />
          {node.title ? <h2 className="deal-subhead">{node.title}</h2> : null}
          {node.body ? <p className="pre-line">{node.body}</p> : null}
          <p className="muted small">
            {node.authorName} · {i18n.date(node.createdAt)}
          </p>
        </article>
      ))}
      {isLast && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <div className="load-more">
          <button type="button" className="button button-secondary" onClick={() => onMore(connection.pageInfo.endCursor!)}>
            {t("common.loadMore")}
          </button>
        </div>
      ) : null}
    </>
  );
}

function Reviews({ deal }: { deal: Deal }) {
  const { t } = useI18n();
  const { me } = useSession();
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [generation, setGeneration] = useState(0);
  const summary = deal.reviewSummary;
  return (
    <div className="grid grid-sidebar-right deal-reviews">
      <div className="stack-tight">
        {cursors.map((cursor, index) => (
          <ReviewsPage
            key={`${generation}-${cursor ?? "first"}`}
            productId={deal.id}
            after={cursor}
            isLast={index === cursors.length - 1}
            onMore={(next) => setCursors((current) => [...current, next])}
          />
        ))}
      </div>
      <div className="stack-tight">
        {summary.count > 0 ? (
          <div className="rating-summary">
            <Stars value={summary.average} count={summary.count} />
            <ul className="rating-bars" aria-label={t("reviews.distribution")}>
              {[...summary.distribution]
                .sort((a, b) => b.rating - a.rating)
                .map((row) => (
                  <li key={row.rating}>
                    <span>{t("reviews.stars", { count: row.rating })}</span>
                    <meter min={0} max={summary.count} value={row.count} aria-label={t("reviews.stars", { count: row.rating })} />
                    <span className="muted">{row.count}</span>
                  </li>
                ))}
            </ul>
          </div>
        ) : null}
        <Card title={t("reviews.write")}>
          {me ? (
            <>
              <p className="muted small">{t("reviews.verifiedOnly")}</p>
              <ReviewForm
                productId={deal.id}
                onDone={() => {
                  setCursors([null]);
                  setGeneration((value) => value + 1);
                }}
              />
            </>
          ) : (
            <p>
              <Link to={`/login?next=${encodeURIComponent(`/deals/${deal.slug}`)}`}>{t("reviews.loginToReview")}</Link>
            </p>
          )}
        </Card>
      </div>
    </div>
  );
}

function ShareButtons({ deal }: { deal: Deal }) {
  const { t } = useI18n();
  const url = deal.url;
  const canShare = typeof navigator !== "undefined" && typeof navigator.share === "function";
  return (
    <div className="share" aria-labelledby="share-title">
      <p id="share-title" className="share-title small">
        {t("deal.share")}
      </p>
      <ul className="share-links">
        {canShare ? (
          <li>
            <button type="button" className="button button-secondary button-small" onClick={() => void navigator.share({ title: deal.title, url }).catch(() => undefined)}>
              {t("deal.shareNative")}
            </button>
          </li>
        ) : null}
        {shareTargets(url, deal.title).map((target) => (
          <li key={target.id}>
            <a className={`share-link share-${target.id}`} href={target.href} target="_blank" rel="noopener noreferrer">
              {target.label}
              <span className="visually-hidden"> {t("deal.newWindow")}</span>
            </a>
          </li>
        ))}
        <li>
          <CopyButton text={url} label={t("deal.copyLink")} className="button button-ghost button-small" />
        </li>
      </ul>
    </div>
  );
}

/** For affiliates: ask to promote this deal, then get a tracked link once approved. */
function Promote({ deal }: { deal: Deal }) {
  const { t } = useI18n();
  const [message, setMessage] = useState("");
  const [mine, refresh] = useQuery({ query: MyDealRequestsQuery, requestPolicy: "cache-and-network" });
  const request = useFormMutation(DealAffiliationRequestMutation, (data) => data.productAffiliationRequest);
  const link = useFormMutation(DealLinkCreateMutation, (data) => data.productLinkCreate);
  const [url, setUrl] = useState<string | null>(null);
  const [sent, setSent] = useState<{ status: string; decisionNote: string } | null>(null);
  const existing = mine.data?.myProductAffiliationRequests.edges.map((edge) => edge.node).find((node) => node.product.id === deal.id);
  const current = sent ?? existing ?? null;
  const ask = async () => {
    const data = await request.run({ productId: deal.id, message: message.trim() });
    const created = data?.productAffiliationRequest.request;
    if (created) {
      setSent(created);
      refresh({ requestPolicy: "network-only" });
    }
  };
  const makeLink = async () => {
    const data = await link.run({ productId: deal.id, title: deal.title });
    const created = data?.productLinkCreate.link;
    if (created) setUrl(created.url);
  };
  return (
    <Card title={t("promote.title")} className="promote-card">
      {mine.fetching && !mine.data ? (
        <SkeletonRows rows={1} />
      ) : current?.status === "APPROVED" ? (
        <div className="stack-tight">
          <p>
            <Badge tone="success">{t("request.APPROVED")}</Badge>
          </p>
          {url ? (
            <div className="copy-row" data-testid="deal-link">
              <code className="copy-value">{url}</code>
              <CopyButton text={url} />
            </div>
          ) : (
            <Form onSubmit={makeLink} errors={link.errors} busy={link.fetching} aria-label={t("promote.getLink")}>
              <FormErrors />
              <SubmitButton>{t("promote.getLink")}</SubmitButton>
            </Form>
          )}
        </div>
      ) : current?.status === "PENDING" ? (
        <p>
          <Badge tone="warning">{t("request.PENDING")}</Badge> <span className="muted">{t("promote.pendingHint")}</span>
        </p>
      ) : current?.status === "REJECTED" ? (
        <p>
          <Badge tone="danger">{t("request.REJECTED")}</Badge> {current.decisionNote ? <span className="muted">{current.decisionNote}</span> : null}
        </p>
      ) : (
        <Form onSubmit={ask} errors={request.errors} busy={request.fetching} aria-label={t("promote.title")}>
          <p className="muted small">{deal.affiliationAutoApprove ? t("promote.autoHint") : t("promote.hint")}</p>
          <TextAreaField name="message" label={t("promote.message")} hint={t("common.optional")} value={message} onChange={setMessage} rows={3} />
          <FormErrors />
          <SubmitButton>{t("promote.ask")}</SubmitButton>
        </Form>
      )}
    </Card>
  );
}

function BuyBox({ deal }: { deal: Deal }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { me } = useSession();
  const soldOut = deal.stock === 0;
  const coordinates = deal.location?.latitude && deal.location?.longitude ? { lat: deal.location.latitude, lon: deal.location.longitude } : null;
  return (
    <aside className="buy-box card" aria-label={t("deal.buyBox")}>
      {deal.status !== "ACTIVE" ? <Badge tone="warning">{t(`productStatus.${deal.status}`)}</Badge> : null}
      <PriceTag price={deal.price} originalPrice={deal.originalPrice} discountPercent={deal.discountPercent} size="large" />
      {deal.expiresAt ? <Countdown expiresAt={deal.expiresAt} /> : null}
      <ul className="buy-facts small">
        {deal.stock !== null && deal.stock !== undefined && deal.stock > 0 && deal.stock <= 20 ? <li className="stock-low">{t("deal.stockLeft", { count: deal.stock })}</li> : null}
        {deal.soldCount > 0 ? <li>{t("deal.sold", { count: deal.soldCount })}</li> : null}
        {deal.location?.address ? (
          <li>
            <PinIcon />
            {deal.location.address}
            {coordinates ? (
              <>
                {" · "}
                <a href={openStreetMapUrl(coordinates.lat, coordinates.lon)} target="_blank" rel="noopener noreferrer" data-testid="map-link">
                  {t("deal.map")}
                  <span className="visually-hidden"> {t("deal.newWindow")}</span>
                </a>
              </>
            ) : null}
          </li>
        ) : null}
      </ul>
      {deal.isAvailable ? (
        <Link className="button button-primary button-large buy-button" to={`/checkout/${deal.slug}`} data-testid="buy">
          {t("deal.buy")}
        </Link>
      ) : (
        <p className="alert alert-error" role="status">
          {deal.isExpired ? t("deal.ended") : soldOut ? t("deal.soldOut") : t("deal.unavailable")}
        </p>
      )}
      {!me ? <p className="muted small">{t("deal.loginToBuy")}</p> : null}
      <ShareButtons deal={deal} />
    </aside>
  );
}

function DealView({ deal }: { deal: Deal }) {
  const { t } = useI18n();
  const { me } = useSession();
  const [tab, setTab] = useState<Tab>(() => (window.location.hash === "#reviews" ? "reviews" : "overview"));
  useSeo(deal.seo);
  useEffect(() => {
    if (window.location.hash === "#reviews") setTab("reviews");
  }, [deal.id]);
  const category = deal.categories[0];
  const crumbs = category ? [...category.ancestors, category] : [];
  return (
    <article className="deal-page" data-testid="deal-page">
      <nav aria-label={t("deal.breadcrumbs")} className="breadcrumbs small">
        <ol>
          <li>
            <Link to="/deals">{t("market.title")}</Link>
          </li>
          {crumbs.map((crumb) => (
            <li key={crumb.id}>
              <Link to={`/deals/category/${crumb.slug}`}>{crumb.name}</Link>
            </li>
          ))}
        </ol>
      </nav>
      <header className="deal-header">
        <div className="deal-badges">
          {deal.isDealOfTheDay ? <span className="deal-ribbon deal-ribbon-day">{t("deal.dealOfTheDay")}</span> : null}
          {deal.isFeatured ? <span className="deal-ribbon">{t("deal.featured")}</span> : null}
        </div>
        <h1>{deal.title}</h1>
        <p className="muted">
          {deal.merchant.displayName}
          {deal.summary ? <> · {deal.summary}</> : null}
        </p>
        {deal.reviewSummary.count > 0 ? (
          <a href="#reviews" onClick={() => setTab("reviews")} className="deal-rating-link">
            <Stars value={deal.reviewSummary.average} count={deal.reviewSummary.count} />
          </a>
        ) : null}
      </header>
      {/* Gallery, buy box, details: side by side on a desktop, in that order on a phone. */}
      <div className="deal-layout">
        <div className="deal-gallery">
          <Gallery images={deal.images} title={deal.title} />
        </div>
        <div className="stack deal-side">
          <BuyBox deal={deal} />
          {me?.role === "AFFILIATE" && deal.status === "ACTIVE" ? <Promote deal={deal} /> : null}
        </div>
        <div id="reviews" className="deal-tabs">
          <TabPanels
            label={t("deal.details")}
            value={tab}
            onChange={setTab}
            tabs={[
              { value: "overview", label: t("deal.overview"), panel: <Overview deal={deal} /> },
              { value: "conditions", label: t("deal.conditions"), panel: <Conditions deal={deal} /> },
              { value: "reviews", label: `${t("deal.reviews")} (${deal.reviewSummary.count})`, panel: <Reviews deal={deal} /> },
            ]}
          />
        </div>
      </div>
    </article>
  );
}

export default function DealPage() {
  const { t } = useI18n();
  const { slug = "" } = useParams();
  const [result, reexecute] = useQuery({ query: DealQuery, variables: { slug }, requestPolicy: "cache-and-network" });
  usePageReady(result.data !== undefined || result.error !== undefined);
  return (
    <QueryState
      result={settled(result)}
      retry={() => reexecute({ requestPolicy: "network-only" })}
      loading={<SkeletonRows rows={6} />}
      isEmpty={(data) => !data.product}
      empty={
        <Empty title={t("deal.notFound")} action={<Link className="button button-primary" to="/deals">{t("deal.backToDeals")}</Link>}>
          {t("deal.notFoundHint")}
        </Empty>
      }
    >
      {(data) => <DealView deal={data.product!} />}
    </QueryState>
  );
}
