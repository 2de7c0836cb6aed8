/**
 * The marketplace: live deals with filters (category, price range, minimum discount, featured,
 * deal of the day, ending soon, location, search), a sort, and cursor pages ("load more").
 * The filters live in the URL, so a filtered list can be shared and survives a reload.
 */
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useQuery } from "urql";

import type { UserError } from "../../api/errors";
import { CheckboxField, Form, SelectField, SubmitButton, TextField } from "../../components/form";
import { DealCard } from "../../components/marketplace/DealCard";
import { Countdown } from "../../components/marketplace/countdown";
import { PriceTag } from "../../components/marketplace/price";
import { localUrl } from "../../components/marketplace/urls";
import "../../components/marketplace/marketplace.css";
import { Empty, ErrorState, SkeletonRows } from "../../components/states";
import { PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { DealCardFieldsFragment, MarketplaceFilter, MarketplaceSort } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { usePageReady } from "../../app/prerender";

export const MarketplaceQuery = graphql(`
  query Marketplace($filter: MarketplaceFilter, $sort: MarketplaceSort!, $after: String) {
    marketplace(filter: $filter, sort: $sort, first: 12, after: $after) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          ...DealCardFields
        }
      }
    }
  }
`);

export const MarketplaceCategoriesQuery = graphql(`
  query MarketplaceCategories {
    categories {
      id
      name
      slug
      productCount
      children {
        id
        name
        slug
        productCount
        children {
          id
          name
          slug
          productCount
        }
      }
    }
  }
`);

const SORTS: MarketplaceSort[] = ["RELEVANCE", "NEWEST", "PRICE_ASC", "PRICE_DESC", "DISCOUNT", "EXPIRING_SOON", "POPULAR", "RATING"];
const DISCOUNTS = ["", "10", "20", "30", "50", "70"];
/** "Ending soon" means within two days. */
const SOON_HOURS = 48;

export interface Filters {
  search: string;
  minPrice: string;
  maxPrice: string;
  minDiscount: string;
  location: string;
  featured: boolean;
  dealOfTheDay: boolean;
  expiringSoon: boolean;
  sort: MarketplaceSort;
}

export function readFilters(params: URLSearchParams): Filters {
  const sort = params.get("sort") as MarketplaceSort | null;
  return {
    search: params.get("q") ?? "",
    minPrice: params.get("min") ?? "",
    maxPrice: params.get("max") ?? "",
    minDiscount: params.get("discount") ?? "",
    location: params.get("where") ?? "",
    featured: params.get("featured") === "1",
    dealOfTheDay: params.get("today") === "1",
    expiringSoon: params.get("soon") === "1",
    sort: sort && SORTS.includes(sort) ? sort : "RELEVANCE",
  };
}

export function writeFilters(filters: Filters): URLSearchParams {
  const params = new URLSearchParams();
  const put = (key: string, value: string) => {
    if (value.trim()) params.set(key, value.trim());
  };
  put("q", filters.search);
  put("min", filters.minPrice);
  put("max", filters.maxPrice);
  put("discount", filters.minDiscount);
  put("where", filters.location);
  if (filters.featured) params.set("featured", "1");
  if (filters.dealOfTheDay) params.set("today", "1");
  if (filters.expiringSoon) params.set("soon", "1");
  if (filters.sort !== "RELEVANCE") params.set("sort", filters.sort);
  return params;
}

const decimal = (value: string) => {
  const cleaned = value.trim().replace(",", ".");
  return /^\d+(\.\d+)?$/.test(cleaned) ? cleaned : null;
};

/** The API's filter for what the URL says (invalid numbers are left out). */
export function apiFilter(filters: Filters, categorySlug: string | null): MarketplaceFilter {
  return {
    categorySlug,
    search: filters.search.trim() || null,
    minPrice: decimal(filters.minPrice),
    maxPrice: decimal(filters.maxPrice),
    minDiscount: decimal(filters.minDiscount),
    location: filters.location.trim() || null,
    featured: filters.featured || null,
    dealOfTheDay: filters.dealOfTheDay || null,
    expiringWithinHours: filters.expiringSoon ? SOON_HOURS : null,
  };
}

/** Whether the visitor narrowed the list (a category counts): an empty list then says "no match",
 * not "no deals yet". */
export function hasActiveFilter(filter: MarketplaceFilter): boolean {
  return Object.values(filter).some((value) => value !== null && value !== undefined && value !== "" && value !== false);
}

interface CategoryOption {
  slug: string;
  name: string;
  depth: number;
  count: number;
}

type CategoryNode = { name: string; slug: string; productCount: number; children?: CategoryNode[] };

function flatten(nodes: CategoryNode[], depth = 0, out: CategoryOption[] = []): CategoryOption[] {
  for (const node of nodes) {
    out.push({ slug: node.slug, name: node.name, depth, count: node.productCount });
    if (node.children) flatten(node.children, depth + 1, out);
  }
  return out;
}

function DealsPage({
  filter,
  sort,
  after,
  isLast,
  onMore,
  onTotal,
  onClear,
}: {
  filter: MarketplaceFilter;
  sort: MarketplaceSort;
  after: string | null;
  isLast: boolean;
  onMore: (cursor: string) => void;
  onTotal?: (total: number | null) => void;
  onClear: () => void;
}) {
  const { t } = useI18n();
  const [result, reexecute] = useQuery({ query: MarketplaceQuery, variables: { filter, sort, after }, requestPolicy: "cache-and-network" });
  const connection = result.data?.marketplace;
  const total = connection?.totalCount ?? null;
  useEffect(() => {
    onTotal?.(total);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [total]);
  if (!connection) {
    return (
      <div className="deal-grid-full">
        {result.error ? <ErrorState error={result.error} retry={() => reexecute({ requestPolicy: "network-only" })} /> : <SkeletonRows rows={4} />}
      </div>
    );
  }
  if (connection.edges.length === 0 && after === null && !hasActiveFilter(filter)) {
    return (
      <div className="deal-grid-full">
        <Empty title={t("market.none")}>{t("market.noneHint")}</Empty>
      </div>
    );
  }
  if (connection.edges.length === 0 && after === null) {
    return (
      <div className="deal-grid-full">
        <Empty
          title={t("market.empty")}
          action={
            <button type="button" className="button button-secondary" onClick={onClear}>
              {t("market.clear")}
            </button>
          }
        >
          {t("market.emptyHint")}
        </Empty>
      </div>
    );
  }
  return (
    <>
      {connection.edges.map(({ node }) => (
        <DealCard key={node.id} deal={node} eager={after === null} />
      ))}
      {isLast && connection.pageInfo.hasNextPage && connection.pageInfo.endCursor ? (
        <div className="deal-grid-full load-more">
          <button type="button" className="button button-secondary" onClick={() => onMore(connection.pageInfo.endCursor!)} data-testid="load-more">
            {t("common.loadMore")}
          </button>
        </div>
      ) : null}
    </>
  );
}

/** The deal of the day, large, above an unfiltered list. */
function DealOfTheDay({ deal }: { deal: DealCardFieldsFragment | undefined }) {
  const { t } = useI18n();
  if (!deal) return null;
  const image = deal.images[0];
  return (
    <section className="deal-spotlight" aria-labelledby="spotlight-title">
      {image ? <img src={localUrl(image.thumbnailUrl)} alt={image.altText} className="deal-spotlight-image" width={480} height={320} /> : null}
      <div className="deal-spotlight-body">
        <p className="eyebrow">{t("deal.dealOfTheDay")}</p>
        <h2 id="spotlight-title">
          <Link to={`/deals/${deal.slug}`}>{deal.title}</Link>
        </h2>
        {deal.summary ? <p className="muted">{deal.summary}</p> : null}
        <PriceTag price={deal.price} originalPrice={deal.originalPrice} discountPercent={deal.discountPercent} size="large" />
        {deal.expiresAt ? <Countdown expiresAt={deal.expiresAt} /> : null}
        <Link className="button button-primary" to={`/deals/${deal.slug}`}>
          {t("deal.see")}
        </Link>
      </div>
    </section>
  );
}

function FilterPanel({
  filters,
  categories,
  categorySlug,
  onApply,
  onCategory,
  onClear,
}: {
  filters: Filters;
  categories: CategoryOption[];
  categorySlug: string | null;
  onApply: (filters: Filters) => void;
  onCategory: (slug: string | null) => void;
  onClear: () => void;
}) {
  const { t } = useI18n();
  const [draft, setDraft] = useState(filters);
  useEffect(() => setDraft(filters), [filters]);
  const set = <K extends keyof Filters>(key: K) => (value: Filters[K]) => setDraft((current) => ({ ...current, [key]: value }));
  /** Choices (checkboxes, selects) apply at once; typed values on "Apply". */
  const now = <K extends keyof Filters>(key: K) => (value: Filters[K]) => onApply({ ...draft, [key]: value });
  const [errors, setErrors] = useState<UserError[]>([]);
  const submit = () => {
    const found: UserError[] = (["minPrice", "maxPrice"] as const)
      .filter((field) => draft[field].trim() && decimal(draft[field]) === null)
      .map((field) => ({ field, code: "INVALID_NUMBER", message: t("market.invalidPrice") }));
    setErrors(found);
    if (found.length === 0) onApply(draft);
  };
  return (
    <aside className="market-filters card" aria-labelledby="filters-title">
      <h2 id="filters-title" className="card-title">
        {t("market.filters")}
      </h2>
      <Form onSubmit={submit} errors={errors} aria-label={t("market.filters")}>
        <TextField name="search" type="search" label={t("market.search")} value={draft.search} onChange={set("search")} placeholder={t("market.searchPlaceholder")} />
        <SelectField
          name="category"
          label={t("market.category")}
          value={categorySlug ?? ""}
          onChange={(value) => onCategory(value || null)}
          options={[
            { value: "", label: t("market.allCategories") },
            ...categories.map((option) => ({ value: option.slug, label: `${"— ".repeat(option.depth)}${option.name} (${option.count})` })),
          ]}
        />
        <fieldset className="field-row market-price">
          <legend>{t("market.priceRange")}</legend>
          <TextField name="minPrice" label={t("market.minPrice")} inputMode="decimal" value={draft.minPrice} onChange={set("minPrice")} />
          <TextField name="maxPrice" label={t("market.maxPrice")} inputMode="decimal" value={draft.maxPrice} onChange={set("maxPrice")} />
        </fieldset>
        <SelectField
          name="minDiscount"
          label={t("market.minDiscount")}
          value={draft.minDiscount}
          onChange={now("minDiscount")}
          options={DISCOUNTS.map((value) => ({ value, label: value ? t("market.atLeast", { percent: value }) : t("market.anyDiscount") }))}
        />
        <TextField name="location" label={t("market.location")} value={draft.location} onChange={set("location")} placeholder={t("market.locationPlaceholder")} />
        <CheckboxField name="featured" label={t("deal.featured")} checked={draft.featured} onChange={now("featured")} />
        <CheckboxField name="dealOfTheDay" label={t("deal.dealOfTheDay")} checked={draft.dealOfTheDay} onChange={now("dealOfTheDay")} />
        <CheckboxField name="expiringSoon" label={t("market.endingSoon")} checked={draft.expiringSoon} onChange={now("expiringSoon")} />
        <div className="button-row">
          <SubmitButton>{t("market.apply")}</SubmitButton>
          <button type="button" className="button button-ghost" onClick={onClear}>
            {t("market.clear")}
          </button>
        </div>
      </Form>
    </aside>
  );
}

export default function Marketplace() {
  const { t } = useI18n();
  const navigate = useNavigate();
  const { slug } = useParams();
  const categorySlug = slug ?? null;
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => readFilters(params), [params]);
  const filter = useMemo(() => apiFilter(filters, categorySlug), [filters, categorySlug]);
  const key = JSON.stringify([filter, filters.sort]);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [total, setTotal] = useState<number | null>(null);
  const [showFilters, setShowFilters] = useState(false);
  useEffect(() => setCursors([null]), [key]);
  const [categoriesResult] = useQuery({ query: MarketplaceCategoriesQuery });
  const categories = useMemo(() => flatten(categoriesResult.data?.categories ?? []), [categoriesResult.data]);
  const category = categories.find((item) => item.slug === categorySlug);

  const unfiltered = !categorySlug && params.toString() === "";
  // What shows above the list (the category chips, the deal of the day) arrives by queries of
  // its own. Inserted above a list already shown, it would push the list down (a layout shift
  // of 0.25 on a phone): the first page waits for them, and all of it appears at once.
  // The first page's query is the one DealsPage runs (urql shares it).
  const [firstPage] = useQuery({ query: MarketplaceQuery, variables: { filter, sort: filters.sort, after: null }, requestPolicy: "cache-and-network" });
  const [spotlight] = useQuery({
    query: MarketplaceQuery,
    variables: { filter: { dealOfTheDay: true }, sort: "RELEVANCE", after: null },
    pause: !unfiltered,
  });
  const settledResult = (result: { data?: unknown; error?: unknown }) => result.data !== undefined || result.error !== undefined;
  const ready = settledResult(firstPage) && settledResult(categoriesResult) && (!unfiltered || settledResult(spotlight));
  usePageReady(ready);
  // Once shown, the layout stays while the visitor changes filters (their own doing).
  const [shown, setShown] = useState(false);
  if (ready && !shown) setShown(true);

  const apply = (next: Filters) => setParams(writeFilters(next));
  const chooseCategory = (next: string | null) => {
    const query = params.toString();
    navigate(`${next ? `/deals/category/${encodeURIComponent(next)}` : "/deals"}${query ? `?${query}` : ""}`);
  };
  const clear = () => navigate("/deals");
  return (
    <div className="stack">
      <PageHeader
        title={category ? category.name : t("market.title")}
        subtitle={total === null ? t("market.subtitle") : t("market.count", { count: total })}
        actions={
          <div className="market-sort">
            <label className="inline-select">
              <span>{t("market.sort")}</span>
              <select value={filters.sort} onChange={(event) => apply({ ...filters, sort: event.target.value as MarketplaceSort })}>
                {SORTS.map((sort) => (
                  <option key={sort} value={sort}>
                    {t(`sort.${sort}`)}
                  </option>
                ))}
              </select>
            </label>
            <button
              type="button"
              className="button button-secondary market-filter-toggle"
              aria-expanded={showFilters}
              aria-controls="market-filters"
              onClick={() => setShowFilters((open) => !open)}
            >
              {t("market.filters")}
            </button>
          </div>
        }
      />
      {shown ? (
        <>
        {categories.length ? (
          <nav className="category-chips" aria-label={t("market.categories")}>
            <Link to="/deals" className={categorySlug ? "chip" : "chip chip-active"} aria-current={categorySlug ? undefined : "page"}>
              {t("market.allCategories")}
            </Link>
            {categories
              .filter((item) => item.depth === 0)
              .map((item) => (
                <Link
                  key={item.slug}
                  to={`/deals/category/${item.slug}`}
                  className={item.slug === categorySlug ? "chip chip-active" : "chip"}
                  aria-current={item.slug === categorySlug ? "page" : undefined}
                >
                  {item.name}
                </Link>
              ))}
          </nav>
        ) : null}
        {unfiltered ? <DealOfTheDay deal={spotlight.data?.marketplace.edges[0]?.node} /> : null}
        <div className="market-layout">
          <div id="market-filters" className={showFilters ? "market-filters-wrap open" : "market-filters-wrap"}>
            <FilterPanel filters={filters} categories={categories} categorySlug={categorySlug} onApply={apply} onCategory={chooseCategory} onClear={clear} />
          </div>
          <section className="deal-grid" aria-labelledby="deal-grid-title" aria-busy={total === null} data-testid="deal-grid">
            {/* The cards' h3 titles need an h2 above them where the filters' one is folded away. */}
            <h2 id="deal-grid-title" className="visually-hidden">
              {t("market.results")}
            </h2>
            {cursors.map((cursor, index) => (
              <DealsPage
                key={`${key}-${cursor ?? "first"}`}
                filter={filter}
                sort={filters.sort}
                after={cursor}
                isLast={index === cursors.length - 1}
                onMore={(next) => setCursors((current) => [...current, next])}
                onTotal={index === 0 ? setTotal : undefined}
                onClear={clear}
              />
            ))}
          </section>
        </div>
        </>
      ) : (
        // Until the list, its chips and the deal of the day are all in: one block holding a
        // screenful, replaced by all of them at once (nothing on screen is pushed).
        <div className="market-loading" aria-busy="true" data-testid="deal-grid-loading">
          <SkeletonRows rows={4} />
        </div>
      )}
    </div>
  );
}
