/**
 * Create or edit a product: every field of a deal page (rich description, prices, expiry, lists,
 * FAQ, location, stock, per-purchase limits, categories, program), its status, its commission,
 * its promotion (brand admins) and, once it exists, its gallery.
 */
import { useEffect, useMemo, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { useQuery } from "urql";

import { useFormMutation } from "../../api/mutation";
import { useSession } from "../../app/session";
import { CheckboxField, ChoiceGroup, FieldMessages, Form, FormErrors, SelectField, SubmitButton, TextAreaField, TextField } from "../../components/form";
import "../../components/marketplace/marketplace.css";
import { PriceTag } from "../../components/marketplace/price";
import { RichTextEditor } from "../../components/marketplace/RichTextEditor";
import { Empty, QueryState, SkeletonRows } from "../../components/states";
import { Badge, Card, PageHeader } from "../../components/ui";
import { graphql } from "../../gql";
import type { ProductCommissionKind, ProductEditFieldsFragment, ProductInput, ProductStatus } from "../../gql/graphql";
import { useI18n } from "../../i18n";
import { MarketplaceCategoriesQuery } from "../marketplace/Marketplace";
import { usePrograms } from "../public/programs";
import { ImageManager } from "./ImageManager";
import { settled } from "../../components/marketplace/query";

export const ProductEditFields = graphql(`
  fragment ProductEditFields on Product {
    id
    slug
    title
    summary
    descriptionHtml
    status
    currency
    price {
      amount
      currency
    }
    originalPrice {
      amount
      currency
    }
    discountPercent
    expiresAt
    highlights
    included
    howItWorks
    conditions
    faq {
      question
      answer
    }
    location {
      address
      latitude
      longitude
    }
    stock
    minPerPurchase
    maxPerPurchase
    isFeatured
    isDealOfTheDay
    affiliationAutoApprove
    programId
    soldCount
    url
    categories {
      id
    }
    images(includeUnready: true) {
      ...ProductImageFields
    }
    commissionRule {
      kind
      rate
      flatAmount {
        amount
        currency
      }
    }
  }
`);

export const ProductEditQuery = graphql(`
  query ProductEdit($id: ID!) {
    product(id: $id) {
      ...ProductEditFields
    }
  }
`);

export const ProductCreateMutation = graphql(`
  mutation ProductCreate($input: ProductCreateInput!) {
    productCreate(input: $input) {
      product {
        ...ProductEditFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProductUpdateMutation = graphql(`
  mutation ProductUpdate($id: ID!, $input: ProductInput!) {
    productUpdate(id: $id, input: $input) {
      product {
        ...ProductEditFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProductStatusSetMutation = graphql(`
  mutation ProductStatusSet($id: ID!, $status: ProductStatus!) {
    productStatusSet(id: $id, status: $status) {
      product {
        ...ProductEditFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProductPromotionSetMutation = graphql(`
  mutation ProductPromotionSet($id: ID!, $featured: Boolean, $dealOfTheDay: Boolean) {
    productPromotionSet(id: $id, featured: $featured, dealOfTheDay: $dealOfTheDay) {
      product {
        ...ProductEditFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export const ProductCommissionRuleSetMutation = graphql(`
  mutation ProductCommissionRuleSet($productId: ID!, $kind: ProductCommissionKind, $rate: Decimal, $flatAmount: Decimal) {
    productCommissionRuleSet(productId: $productId, kind: $kind, rate: $rate, flatAmount: $flatAmount) {
      product {
        ...ProductEditFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

type Product = ProductEditFieldsFragment;

interface FaqRow {
  question: string;
  answer: string;
}

export interface ProductForm {
  title: string;
  slug: string;
  summary: string;
  descriptionHtml: string;
  programId: string;
  originalPrice: string;
  price: string;
  expiresAt: string;
  highlights: string;
  included: string;
  howItWorks: string;
  conditions: string;
  faq: FaqRow[];
  locationAddress: string;
  latitude: string;
  longitude: string;
  stock: string;
  minPerPurchase: string;
  maxPerPurchase: string;
  categoryIds: string[];
  affiliationAutoApprove: boolean;
}

const two = (value: number) => String(value).padStart(2, "0");

/** An ISO time as the value of <input type="datetime-local"> (local time). */
export function toLocalInput(iso: string | null | undefined): string {
  if (!iso) return "";
  const date = new Date(iso);
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(date.getHours())}:${two(date.getMinutes())}`;
}

export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}

const lines = (text: string) =>
  text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
const decimalOrNull = (text: string) => (text.trim() ? text.trim().replace(",", ".") : null);
const intOrNull = (text: string) => (text.trim() ? Number(text.trim()) : null);

export function formOf(product: Product | null): ProductForm {
  return {
    title: product?.title ?? "",
    slug: product?.slug ?? "",
    summary: product?.summary ?? "",
    descriptionHtml: product?.descriptionHtml ?? "",
    programId: product?.programId ?? "",
    originalPrice: product?.originalPrice.amount ?? "",
    price: product?.price.amount ?? "",
    expiresAt: toLocalInput(product?.expiresAt),
    highlights: (product?.highlights ?? []).join("\n"),
    included: (product?.included ?? []).join("\n"),
    howItWorks: (product?.howItWorks ?? []).join("\n"),
    conditions: product?.conditions ?? "",
    faq: product?.faq.map((entry) => ({ question: entry.question, answer: entry.answer })) ?? [],
    locationAddress: product?.location?.address ?? "",
    latitude: product?.location?.latitude ?? "",
    longitude: product?.location?.longitude ?? "",
    stock: product?.stock === null || product?.stock === undefined ? "" : String(product.stock),
    minPerPurchase: String(product?.minPerPurchase ?? 1),
    maxPerPurchase: String(product?.maxPerPurchase ?? 10),
    categoryIds: product?.categories.map((category) => category.id) ?? [],
    affiliationAutoApprove: product?.affiliationAutoApprove ?? false,
  };
}

/** The API's input: every field (an update sends them all; null clears the nullable ones). */
export function inputOf(form: ProductForm): ProductInput {
  return {
    title: form.title.trim(),
    slug: form.slug.trim() || undefined,
    summary: form.summary.trim(),
    descriptionHtml: form.descriptionHtml,
    programId: form.programId || undefined,
    originalPrice: decimalOrNull(form.originalPrice),
    price: decimalOrNull(form.price),
    expiresAt: fromLocalInput(form.expiresAt),
    highlights: lines(form.highlights),
    included: lines(form.included),
    howItWorks: lines(form.howItWorks),
    conditions: form.conditions.trim(),
    faq: form.faq.filter((row) => row.question.trim() || row.answer.trim()).map((row) => ({ question: row.question.trim(), answer: row.answer.trim() })),
    locationAddress: form.locationAddress.trim(),
    latitude: decimalOrNull(form.latitude),
    longitude: decimalOrNull(form.longitude),
    stock: intOrNull(form.stock),
    minPerPurchase: intOrNull(form.minPerPurchase) ?? 1,
    maxPerPurchase: intOrNull(form.maxPerPurchase) ?? 1,
    categoryIds: form.categoryIds,
    affiliationAutoApprove: form.affiliationAutoApprove,
  };
}

type CategoryNode = { id: string; name: string; children?: CategoryNode[] };

function categoryOptions(nodes: CategoryNode[], depth = 0, out: { value: string; label: string }[] = []) {
  for (const node of nodes) {
    out.push({ value: node.id, label: `${"— ".repeat(depth)}${node.name}` });
    if (node.children) categoryOptions(node.children, depth + 1, out);
  }
  return out;
}

const NEXT_STATUSES: Record<ProductStatus, ProductStatus[]> = {
  DRAFT: ["ACTIVE", "ARCHIVED"],
  ACTIVE: ["PAUSED", "ARCHIVED"],
  PAUSED: ["ACTIVE", "ARCHIVED"],
  ARCHIVED: ["DRAFT"],
};
export const STATUS_TONES: Record<ProductStatus, "neutral" | "success" | "warning" | "danger"> = {
  DRAFT: "neutral",
  ACTIVE: "success",
  PAUSED: "warning",
  ARCHIVED: "danger",
};

function StatusCard({ product, onChanged }: { product: Product; onChanged: (product: Product) => void }) {
  const { t } = useI18n();
  const { me } = useSession();
  const status = useFormMutation(ProductStatusSetMutation, (data) => data.productStatusSet);
  const promote = useFormMutation(ProductPromotionSetMutation, (data) => data.productPromotionSet);
  const set = async (next: ProductStatus) => {
    const data = await status.run({ id: product.id, status: next });
    if (data?.productStatusSet.product) onChanged(data.productStatusSet.product);
  };
  const setPromotion = async (change: { featured?: boolean; dealOfTheDay?: boolean }) => {
    const data = await promote.run({ id: product.id, featured: change.featured ?? null, dealOfTheDay: change.dealOfTheDay ?? null });
    if (data?.productPromotionSet.product) onChanged(data.productPromotionSet.product);
  };
  const errors = [...status.errors, ...promote.errors];
  return (
    <Card title={t("products.status")} actions={<span data-testid="product-status" data-status={product.status}><Badge tone={STATUS_TONES[product.status]}>{t(`productStatus.${product.status}`)}</Badge></span>}>
      <div className="button-row">
        {NEXT_STATUSES[product.status].map((next) => (
          <button
            key={next}
            type="button"
            className={next === "ACTIVE" ? "button button-primary" : next === "ARCHIVED" ? "button button-danger" : "button button-secondary"}
            disabled={status.fetching}
            onClick={() => void set(next)}
          >
            {t(`products.to${next}`)}
          </button>
        ))}
        <Link className="button button-ghost" to={`/deals/${product.slug}`}>
          {t("products.view")}
        </Link>
      </div>
      {me?.role === "BRAND_ADMIN" ? (
        <div className="stack-tight promotion">
          <CheckboxField name="featured" label={t("deal.featured")} checked={product.isFeatured} onChange={(value) => void setPromotion({ featured: value })} />
          <CheckboxField name="dealOfTheDay" label={t("deal.dealOfTheDay")} hint={t("products.dealOfTheDayHint")} checked={product.isDealOfTheDay} onChange={(value) => void setPromotion({ dealOfTheDay: value })} />
        </div>
      ) : product.isFeatured || product.isDealOfTheDay ? (
        <p className="small">
          {product.isDealOfTheDay ? <Badge tone="info">{t("deal.dealOfTheDay")}</Badge> : null} {product.isFeatured ? <Badge tone="info">{t("deal.featured")}</Badge> : null}
        </p>
      ) : null}
      {errors.length ? (
        <div className="alert alert-error" role="alert">
          {errors.map((error, index) => (
            <p key={index}>{error.message}</p>
          ))}
        </div>
      ) : null}
    </Card>
  );
}

function CommissionCard({ product, onChanged }: { product: Product; onChanged: (product: Product) => void }) {
  const { t } = useI18n();
  const rule = product.commissionRule;
  const [kind, setKind] = useState<ProductCommissionKind | "">(rule?.kind ?? "");
  const [rate, setRate] = useState(rule?.rate ?? "");
  const [flat, setFlat] = useState(rule?.flatAmount?.amount ?? "");
  const [saved, setSaved] = useState(false);
  const save = useFormMutation(ProductCommissionRuleSetMutation, (data) => data.productCommissionRuleSet);
  const submit = async () => {
    setSaved(false);
    const data = await save.run({
      productId: product.id,
      kind: kind || null,
      rate: kind === "PERCENTAGE" ? decimalOrNull(rate) : null,
      flatAmount: kind === "FLAT" ? decimalOrNull(flat) : null,
    });
    if (data?.productCommissionRuleSet.product) {
      setSaved(true);
      onChanged(data.productCommissionRuleSet.product);
    }
  };
  return (
    <Card title={t("products.commission")}>
      <Form onSubmit={submit} errors={save.errors} busy={save.fetching} aria-label={t("products.commission")}>
        <ChoiceGroup
          name="kind"
          type="radio"
          legend={t("products.commissionKind")}
          value={[kind]}
          onChange={(value) => setKind(value[0] as ProductCommissionKind | "")}
          options={[
            { value: "", label: t("products.programRule") },
            { value: "PERCENTAGE", label: t("kind.PERCENTAGE") },
            { value: "FLAT", label: t("kind.FLAT") },
          ]}
        />
        {kind === "PERCENTAGE" ? <TextField name="rate" label={t("program.rate")} inputMode="decimal" suffix="%" value={rate} onChange={setRate} /> : null}
        {kind === "FLAT" ? <TextField name="flatAmount" label={t("products.flatAmount")} inputMode="decimal" suffix={product.currency} value={flat} onChange={setFlat} /> : null}
        <FormErrors />
        <div className="button-row">
          <SubmitButton>{t("common.save")}</SubmitButton>
          <div className="live-region" role="status">
            {saved ? (
              <span className="saved">
                {t("common.saved")}
              </span>
            ) : null}
          </div>
        </div>
      </Form>
    </Card>
  );
}

function FaqEditor({ rows, onChange }: { rows: FaqRow[]; onChange: (rows: FaqRow[]) => void }) {
  const { t } = useI18n();
  const change = (index: number, patch: Partial<FaqRow>) => onChange(rows.map((row, position) => (position === index ? { ...row, ...patch } : row)));
  return (
    <fieldset className="faq-editor span-2">
      <legend>{t("deal.faq")}</legend>
      {rows.map((row, index) => (
        <div key={index} className="faq-row">
          <TextField name={`faq.${index}.question`} label={t("products.question", { index: index + 1 })} value={row.question} onChange={(value) => change(index, { question: value })} />
          <TextAreaField name={`faq.${index}.answer`} label={t("products.answer", { index: index + 1 })} value={row.answer} onChange={(value) => change(index, { answer: value })} rows={2} />
          <button type="button" className="button button-ghost button-small" onClick={() => onChange(rows.filter((_, position) => position !== index))}>
            {t("common.remove")}
          </button>
        </div>
      ))}
      <FieldMessages name="faq" />
      <button type="button" className="button button-secondary button-small" onClick={() => onChange([...rows, { question: "", answer: "" }])}>
        {t("products.addQuestion")}
      </button>
    </fieldset>
  );
}

function Editor({ product, onSaved }: { product: Product | null; onSaved: (product: Product) => void }) {
  const i18n = useI18n();
  const { t } = i18n;
  const { brand } = useSession();
  const navigate = useNavigate();
  const { programs } = usePrograms();
  const [categoriesResult] = useQuery({ query: MarketplaceCategoriesQuery });
  const categories = useMemo(() => categoryOptions(categoriesResult.data?.categories ?? []), [categoriesResult.data]);
  const [form, setForm] = useState<ProductForm>(() => formOf(product));
  const [saved, setSaved] = useState(false);
  // Another product: its values. The same product changed elsewhere (status, promotion): keep
  // what is being typed.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => setForm(formOf(product)), [product?.id]);
  const create = useFormMutation(ProductCreateMutation, (data) => data.productCreate);
  const update = useFormMutation(ProductUpdateMutation, (data) => data.productUpdate);
  const mutation = product ? update : create;
  const set = <K extends keyof ProductForm>(key: K) => (value: ProductForm[K]) => {
    setSaved(false);
    setForm((current) => ({ ...current, [key]: value }));
  };
  const program = programs.find((item) => item.id === form.programId);
  const currency = product?.currency ?? program?.currency ?? brand?.currency ?? "";

  const submit = async () => {
    setSaved(false);
    const input = inputOf(form);
    if (product) {
      const data = await update.run({ id: product.id, input });
      if (data?.productUpdate.product) {
        setForm(formOf(data.productUpdate.product));
        setSaved(true);
        onSaved(data.productUpdate.product);
      }
    } else {
      const data = await create.run({ input });
      const created = data?.productCreate.product;
      if (created) navigate(`/merchant/products/${created.id}`, { replace: true, state: { created: true } });
    }
  };

  const preview =
    form.price && form.originalPrice && /^\d+([.,]\d+)?$/.test(form.price) && /^\d+([.,]\d+)?$/.test(form.originalPrice)
      ? {
          price: { amount: form.price.replace(",", "."), currency },
          originalPrice: { amount: form.originalPrice.replace(",", "."), currency },
          discount:
            Number(form.originalPrice.replace(",", ".")) > 0
              ? String(Math.floor((1 - Number(form.price.replace(",", ".")) / Number(form.originalPrice.replace(",", "."))) * 100))
              : "0",
        }
      : null;

  return (
    <Form onSubmit={submit} errors={mutation.errors} busy={mutation.fetching} aria-label={t("products.details")} className="form product-form">
      <h2 className="form-section-title">{t("products.details")}</h2>
      <div className="form-grid">
        <TextField name="title" label={t("products.titleField")} value={form.title} onChange={set("title")} className="span-2" maxLength={200} />
        <TextField name="slug" label={t("products.slug")} hint={t("products.slugHint")} value={form.slug} onChange={set("slug")} />
        <SelectField
          name="programId"
          label={t("common.program")}
          value={form.programId}
          onChange={set("programId")}
          options={[{ value: "", label: t("products.defaultProgram") }, ...programs.map((item) => ({ value: item.id, label: `${item.name} (${item.currency})` }))]}
        />
        <TextAreaField name="summary" label={t("products.summary")} hint={t("products.summaryHint")} value={form.summary} onChange={set("summary")} rows={2} className="span-2" />
      </div>
      <RichTextEditor name="descriptionHtml" label={t("products.description")} hint={t("products.descriptionHint")} value={form.descriptionHtml} onChange={set("descriptionHtml")} />

      <h2 className="form-section-title">{t("products.pricing")}</h2>
      <div className="form-grid">
        <TextField name="originalPrice" label={t("deal.originalPrice")} inputMode="decimal" suffix={currency} value={form.originalPrice} onChange={set("originalPrice")} />
        <TextField name="price" label={t("deal.price")} inputMode="decimal" suffix={currency} value={form.price} onChange={set("price")} />
        {preview ? (
          <div className="span-2 price-preview" aria-live="polite">
            <span className="muted small">{t("products.preview")}</span>
            <PriceTag price={preview.price} originalPrice={preview.originalPrice} discountPercent={preview.discount} />
          </div>
        ) : null}
        <TextField name="expiresAt" type="datetime-local" label={t("products.expiresAt")} hint={t("products.expiresHint")} value={form.expiresAt} onChange={set("expiresAt")} />
        <TextField name="stock" label={t("products.stock")} hint={t("products.stockHint")} inputMode="numeric" value={form.stock} onChange={set("stock")} />
        <TextField name="minPerPurchase" label={t("products.minPerPurchase")} inputMode="numeric" value={form.minPerPurchase} onChange={set("minPerPurchase")} />
        <TextField name="maxPerPurchase" label={t("products.maxPerPurchase")} inputMode="numeric" value={form.maxPerPurchase} onChange={set("maxPerPurchase")} />
      </div>

      <h2 className="form-section-title">{t("products.content")}</h2>
      <div className="form-grid">
        <TextAreaField name="highlights" label={t("deal.highlights")} hint={t("products.onePerLine")} value={form.highlights} onChange={set("highlights")} rows={4} />
        <TextAreaField name="included" label={t("deal.included")} hint={t("products.onePerLine")} value={form.included} onChange={set("included")} rows={4} />
        <TextAreaField name="howItWorks" label={t("deal.howItWorks")} hint={t("products.oneStepPerLine")} value={form.howItWorks} onChange={set("howItWorks")} rows={4} />
        <TextAreaField name="conditions" label={t("deal.conditions")} value={form.conditions} onChange={set("conditions")} rows={4} />
        <FaqEditor rows={form.faq} onChange={set("faq")} />
      </div>

      <h2 className="form-section-title">{t("products.where")}</h2>
      <div className="form-grid">
        <TextField name="locationAddress" label={t("products.address")} hint={t("products.addressHint")} value={form.locationAddress} onChange={set("locationAddress")} className="span-2" autoComplete="street-address" />
        <TextField name="latitude" label={t("products.latitude")} inputMode="decimal" value={form.latitude} onChange={set("latitude")} />
        <TextField name="longitude" label={t("products.longitude")} inputMode="decimal" value={form.longitude} onChange={set("longitude")} />
      </div>

      <h2 className="form-section-title">{t("products.categoriesAndPartners")}</h2>
      <ChoiceGroup name="categoryIds" type="checkbox" legend={t("products.categories")} value={form.categoryIds} onChange={set("categoryIds")} options={categories} />
      <CheckboxField name="affiliationAutoApprove" label={t("products.autoApprove")} hint={t("products.autoApproveHint")} checked={form.affiliationAutoApprove} onChange={set("affiliationAutoApprove")} />
      <FormErrors />
      <div className="button-row sticky-actions">
        <SubmitButton>{product ? t("common.save") : t("products.createDraft")}</SubmitButton>
        <div className="live-region" role="status">
          {saved ? (
            <span className="saved">
              {t("common.saved")}
            </span>
          ) : null}
        </div>
      </div>
    </Form>
  );
}

export default function ProductEditor() {
  const { t } = useI18n();
  const { id } = useParams();
  const [result, reexecute] = useQuery({ query: ProductEditQuery, variables: { id: id ?? "" }, pause: !id, requestPolicy: "cache-and-network" });
  const [product, setProduct] = useState<Product | null>(null);
  useEffect(() => {
    if (result.data?.product) setProduct(result.data.product);
  }, [result.data]);
  const refresh = () => reexecute({ requestPolicy: "network-only" });
  if (!id) {
    return (
      <div className="stack">
        <PageHeader title={t("products.new")} subtitle={t("products.newHint")} actions={<Link className="button button-ghost" to="/merchant/products">{t("products.back")}</Link>} />
        <Card>
          <Editor product={null} onSaved={() => undefined} />
        </Card>
      </div>
    );
  }
  return (
    <QueryState
      result={settled(result)}
      retry={refresh}
      loading={<SkeletonRows rows={8} />}
      isEmpty={(data) => !data.product}
      empty={<Empty title={t("products.notFound")} action={<Link className="button button-primary" to="/merchant/products">{t("products.back")}</Link>} />}
    >
      {() =>
        product ? (
          <div className="stack">
            <PageHeader
              title={product.title}
              subtitle={t("products.editHint", { sold: product.soldCount })}
              actions={<Link className="button button-ghost" to="/merchant/products">{t("products.back")}</Link>}
            />
            <div className="grid grid-sidebar-right product-editor">
              <div className="stack">
                <Card>
                  <Editor product={product} onSaved={setProduct} />
                </Card>
              </div>
              <div className="stack">
                <StatusCard product={product} onChanged={setProduct} />
                <Card title={t("images.title")}>
                  <ImageManager productId={product.id} images={product.images} />
                </Card>
                <CommissionCard product={product} onChanged={setProduct} />
              </div>
            </div>
          </div>
        ) : null
      }
    </QueryState>
  );
}
