/** A merchant's products and deals in every status (every merchant's for brand admins). */
import { useState } from "react";
import { Link } from "react-router";
import { useQuery } from "urql";

import { useSession } from "../../app/session";
import "../../components/marketplace/marketplace.css";
import { PriceTag } from "../../components/marketplace/price";
import { localUrl } from "../../components/marketplace/urls";
import { Empty, ErrorState, SkeletonRows } from "../../components/states";
import { Badge, Card, PageHeader, Tabs } from "../../components/ui";
import { graphql } from "../../gql";
import type { ProductStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { STATUS_TONES } from "./ProductEditor";

export const MyProductsQuery = graphql(`
  query MyProducts($status: ProductStatus, $after: String) {
    myProducts(status: $status, first: 25, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          slug
          title
          status
          price {
            amount
            currency
          }
          originalPrice {
            amount
            currency
          }
          discountPercent
          stock
          soldCount
          expiresAt
          isExpired
          isFeatured
          isDealOfTheDay
          merchant {
            id
            displayName
          }
          images {
            id
            thumbnailUrl
            altText
          }
        }
      }
    }
  }
`);

export const MyPlanUsageQuery = graphql(`
  query MyPlanUsage {
    myPlan {
      plan {
        name
      }
      usage {
        productsUsed
        productQuota
      }
    }
  }
`);

type Filter = ProductStatus | "ALL";

function Usage() {
  const { t } = useI18n();
  const [result] = useQuery({ query: MyPlanUsageQuery, requestPolicy: "cache-and-network" });
  const plan = result.data?.myPlan;
  if (!plan) return null;
  const { productsUsed, productQuota } = plan.usage;
  const full = productQuota !== null && productQuota !== undefined && productsUsed >= productQuota;
  return (
    <p className={full ? "alert alert-error" : "muted"} role={full ? "status" : undefined} data-testid="product-usage">
      {productQuota === null || productQuota === undefined
        ? t("products.usageUnlimited", { used: productsUsed, plan: plan.plan.name })
        : t("products.usage", { used: productsUsed, quota: productQuota, plan: plan.plan.name })}{" "}
      {full ? <Link to="/billing">{t("plans.upgrade")}</Link> : null}
    </p>
  );
}

function ProductRows({ status, after, isLast, onMore, showMerchant }: { status: Filter; after: string | null; isLast: boolean; onMore: (cursor: string) => void; showMerchant: boolean }) {
  const i18n = useI18n();
  const { t } = i18n;
  const columns = showMerchant ? 7 : 6;
  const [result, reexecute] = useQuery({ query: MyProductsQuery, variables: { status: status === "ALL" ? null : status, after }, requestPolicy: "cache-and-network" });
  const connection = result.data?.myProducts;
  if (!connection) {
    return (
      <tbody>
        <tr>
          <td colSpan={columns}>{result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={3} />}</td>
        </tr>
      </tbody>
    );
  }
  if (connection.edges.length === 0 && after === null) {
    return (
      <tbody>
        <tr>
          <td colSpan={columns}>
            <Empty title={t("products.empty")} action={<Link className="button button-primary" to="/merchant/products/new">{t("products.new")}</Link>}>
              {t("products.emptyHint")}
            </Empty>
          </td>
        </tr>
      </tbody>
    );
  }
  return (
    <tbody>
      {connection.edges.map(({ node }) => (
        <tr key={node.id} data-testid="product-row" data-id={node.id}>
          <td>
            <div className="product-cell">
              {node.images[0] ? <img src={localUrl(node.images[0].thumbnailUrl)} alt="" className="product-thumb" /> : <span className="product-thumb product-thumb-empty" aria-hidden="true" />}
              <span>
                <Link to={`/merchant/products/${node.id}`}>{node.title}</Link>
                {node.isDealOfTheDay ? <span className="muted small"> · {t("deal.dealOfTheDay")}</span> : node.isFeatured ? <span className="muted small"> · {t("deal.featured")}</span> : null}
              </span>
            </div>
          </td>
          {showMerchant ? <td>{node.merchant.displayName}</td> : null}
          <td>
            <Badge tone={STATUS_TONES[node.status]}>{t(`productStatus.${node.status}`)}</Badge>
            {node.isExpired ? <span className="muted small"> · {t("products.expired")}</span> : null}
          </td>
          <td>
            <PriceTag price={node.price} originalPrice={node.originalPrice} discountPercent={node.discountPercent} />
          </td>
          <td className="numeric">{node.stock === null || node.stock === undefined ? "∞" : i18n.number(node.stock)}</td>
          <td className="numeric">{i18n.number(node.soldCount)}</td>
          <td className="actions">
            <Link className="button button-secondary button-small" to={`/merchant/products/${node.id}`}>
              {t("products.edit")}
            </Link>
            <Link className="button button-ghost button-small" to={`/deals/${node.slug}`}>
              {t("products.view")}
            </Link>
          </td>
        </tr>
      ))}
      {isLast && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <tr>
          <td colSpan={columns} className="load-more">
            <button type="button" className="button button-secondary" onClick={() => onMore(connection.pageInfo.endCursor!)}>
              {t("common.loadMore")}
            </button>
          </td>
        </tr>
      ) : null}
    </tbody>
  );
}

export default function Products() {
  const { t } = useI18n();
  const { me } = useSession();
  const [status, setStatus] = useState<Filter>("ALL");
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const admin = me?.role === "BRAND_ADMIN";
  const choose = (value: Filter) => {
    setStatus(value);
    setCursors([null]);
  };
  return (
    <div className="stack">
      <PageHeader
        title={t("products.title")}
        subtitle={t("products.subtitle")}
        actions={
          // Brand admins moderate every merchant's products; merchants create their own.
          admin ? null : (
            <Link className="button button-primary" to="/merchant/products/new">
              {t("products.new")}
            </Link>
          )
        }
      />
      {admin ? null : <Usage />}
      <div className="toolbar">
        <Tabs
          label={t("common.status")}
          value={status}
          onChange={choose}
          options={[
            { value: "ALL", label: t("common.all") },
            { value: "ACTIVE", label: t("productStatus.ACTIVE") },
            { value: "DRAFT", label: t("productStatus.DRAFT") },
            { value: "PAUSED", label: t("productStatus.PAUSED") },
            { value: "ARCHIVED", label: t("productStatus.ARCHIVED") },
          ]}
        />
      </div>
      <Card>
        <div className="table-wrap" tabIndex={0}>
          <table className="table" data-testid="products">
            <caption className="visually-hidden">{t("products.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("products.title")}</th>
                {admin ? <th scope="col">{t("products.merchant")}</th> : null}
                <th scope="col">{t("common.status")}</th>
                <th scope="col">{t("deal.price")}</th>
                <th scope="col" className="numeric">
                  {t("products.stock")}
                </th>
                <th scope="col" className="numeric">
                  {t("products.sold")}
                </th>
                <th scope="col">{t("common.actions")}</th>
              </tr>
            </thead>
            {cursors.map((cursor, index) => (
              <ProductRows
                key={`${status}-${cursor ?? "first"}`}
                status={status}
                after={cursor}
                isLast={index === cursors.length - 1}
                onMore={(next) => setCursors((current) => [...current, next])}
                showMerchant={admin}
              />
            ))}
          </table>
        </div>
      </Card>
    </div>
  );
}
