/**
 * The order form of one deal: a quantity within the deal's minimum and maximum (and its stock),
 * the way to pay (card through Stripe Checkout, or a bank transfer with the payer's name, email
 * and a contact: that email by default, or Telegram, WhatsApp or Discord), and where the vouchers go. Errors show at
 * their field, whether this form found them or the API did (`items.0.quantity`, `contact`, ...).
 */
import { useState } from "react";

import type { UserError } from "../../api/errors";
import { useFormMutation } from "../../api/mutation";
import { ChoiceGroup, Form, FormErrors, SelectField, SubmitButton, TextField, useFieldErrors, useErrorMessage } from "../../components/form";
import { timesQuantity } from "../../components/marketplace/price";
import { graphql } from "../../gql";
import type { ContactChannel, OrderPlaceMutation, PaymentProvider } from "../../gql/graphql";
import { useI18n, type I18n } from "../../i18n";

export const OrderPlaceDocument = graphql(`
  mutation OrderPlace($input: OrderPlaceInput!) {
    orderPlace(input: $input) {
      order {
        ...OrderFields
      }
      checkoutUrl
      bankTransfer {
        ...BankTransferFields
      }
      errors {
        field
        code
        message
      }
    }
  }
`);

export interface CheckoutDeal {
  id: string;
  title: string;
  price: { amount: string; currency: string };
  minPerPurchase: number;
  maxPerPurchase: number;
  /** Units left; null: unlimited. */
  stock?: number | null;
}

export type Placed = NonNullable<OrderPlaceMutation["orderPlace"]>;

export const QUANTITY_FIELD = "items.0.quantity";
/** How the brand may reach a bank-transfer payer: email (the payer's, the default) or an app. */
export const CHANNELS: ContactChannel[] = ["EMAIL", "TELEGRAM", "WHATSAPP", "DISCORD"];

/** The hint under the contact field for a messaging app. */
export function contactHint(channel: ContactChannel | "", t: I18n["t"]): string {
  if (channel === "TELEGRAM") return t("checkout.contactTelegram");
  if (channel === "WHATSAPP") return t("checkout.contactWhatsapp");
  if (channel === "DISCORD") return t("checkout.contactDiscord");
  return t("checkout.contactHint");
}

/** The payer's contact fields: a channel (email by default) and, for an app, the handle. */
export function ContactFields({ channel, contact, onChannel, onContact }: { channel: ContactChannel | ""; contact: string; onChannel: (value: ContactChannel) => void; onContact: (value: string) => void }) {
  const { t } = useI18n();
  const byEmail = channel === "" || channel === "EMAIL";
  return (
    <>
      <SelectField
        name="contactChannel"
        label={t("checkout.contactChannel")}
        hint={byEmail ? t("checkout.contactByEmail") : undefined}
        value={channel || "EMAIL"}
        onChange={(value) => onChannel(value as ContactChannel)}
        options={CHANNELS.map((value) => ({ value, label: t(`channel.${value}`) }))}
        required
      />
      {byEmail ? null : <TextField name="contact" label={t("checkout.contact")} hint={contactHint(channel, t)} value={contact} onChange={onContact} autoComplete="off" required />}
    </>
  );
}

export interface CheckoutValues {
  quantity: string;
  provider: PaymentProvider;
  email: string;
  couponCode: string;
  payerName: string;
  payerEmail: string;
  contactChannel: ContactChannel | "";
  contact: string;
}

/** The most one order may hold: the deal's maximum, or less when fewer units are left. */
export function maxQuantity(deal: CheckoutDeal): number {
  return deal.stock === null || deal.stock === undefined ? deal.maxPerPurchase : Math.min(deal.maxPerPurchase, deal.stock);
}

/** What can be told before asking the server; the server checks all of it again. */
export function validateCheckout(values: CheckoutValues, deal: CheckoutDeal, t: I18n["t"]): UserError[] {
  const errors: UserError[] = [];
  const quantity = Number(values.quantity);
  const max = maxQuantity(deal);
  if (!/^\d+$/.test(values.quantity.trim()) || quantity < deal.minPerPurchase || quantity > max) {
    errors.push({
      field: QUANTITY_FIELD,
      code: "QUANTITY_OUT_OF_RANGE",
      message: max < deal.minPerPurchase ? t("checkout.notEnoughStock") : t("checkout.quantityRange", { min: deal.minPerPurchase, max }),
    });
  }
  if (values.provider === "BANK_TRANSFER") {
    if (!values.payerName.trim()) errors.push({ field: "payerName", code: "REQUIRED", message: t("checkout.payerNameRequired") });
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(values.payerEmail.trim())) {
      errors.push({ field: "payerEmail", code: "INVALID_EMAIL", message: t("checkout.payerEmailInvalid") });
    }
    const byEmail = !values.contactChannel || values.contactChannel === "EMAIL";
    if (!byEmail && !values.contact.trim()) errors.push({ field: "contact", code: "REQUIRED", message: t("checkout.contactRequired") });
  }
  return errors;
}

function newKey(): string {
  try {
    return crypto.randomUUID();
  } catch {
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }
}

/** The quantity with − and + buttons, and its errors (the API names it items.0.quantity). */
function QuantityField({ value, onChange, min, max }: { value: string; onChange: (value: string) => void; min: number; max: number }) {
  const { t } = useI18n();
  const errors = useFieldErrors(QUANTITY_FIELD);
  const message = useErrorMessage();
  const id = "checkout-quantity";
  const current = Number(value) || 0;
  return (
    <div className={`field${errors.length ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{t("checkout.quantity")}</label>
      <div className="quantity-stepper">
        {/* aria-disabled, not disabled: a button that becomes disabled drops the focus to
            <body> the moment the quantity reaches its limit. */}
        <button type="button" className="button button-secondary" aria-label={t("checkout.less")} aria-controls={id} aria-disabled={current <= min} onClick={() => current > min && onChange(String(Math.max(min, current - 1)))}>
          −
        </button>
        <input
          id={id}
          name={QUANTITY_FIELD}
          type="number"
          inputMode="numeric"
          min={min}
          max={max}
          step={1}
          value={value}
          onChange={(event) => onChange(event.target.value)}
          aria-invalid={errors.length > 0}
          aria-describedby={errors.length ? `${id}-error` : `${id}-hint`}
        />
        <button type="button" className="button button-secondary" aria-label={t("checkout.more")} aria-controls={id} aria-disabled={current >= max} onClick={() => current < max && onChange(String(Math.min(max, current + 1)))}>
          +
        </button>
      </div>
      {errors.length ? (
        errors.map((error, index) => (
          <p className="field-error" id={index === 0 ? `${id}-error` : undefined} key={index} role="alert">
            {message(error)}
          </p>
        ))
      ) : (
        <p className="field-hint" id={`${id}-hint`}>
          {t("checkout.quantityRange", { min, max })}
        </p>
      )}
    </div>
  );
}

export function CheckoutForm({
  deal,
  methods = { card: true, bankTransfer: true },
  defaultEmail = "",
  defaultName = "",
  onPlaced,
}: {
  deal: CheckoutDeal;
  /** What the brand takes (the `paymentMethods` query): only those are offered. */
  methods?: { card: boolean; bankTransfer: boolean };
  defaultEmail?: string;
  defaultName?: string;
  onPlaced: (placed: Placed) => void;
}) {
  const i18n = useI18n();
  const { t } = i18n;
  const providers: { value: PaymentProvider; label: string }[] = [
    ...(methods.bankTransfer ? [{ value: "BANK_TRANSFER" as PaymentProvider, label: t("checkout.bankTransfer") }] : []),
    ...(methods.card ? [{ value: "STRIPE" as PaymentProvider, label: t("checkout.card") }] : []),
  ];
  const [values, setValues] = useState<CheckoutValues>({
    quantity: String(deal.minPerPurchase),
    provider: providers[0]?.value ?? "BANK_TRANSFER",
    email: defaultEmail,
    couponCode: "",
    payerName: defaultName,
    payerEmail: defaultEmail,
    contactChannel: "EMAIL",
    contact: "",
  });
  // One key per visit of this form: a retry after a lost answer gets the same order back.
  const [idempotencyKey] = useState(newKey);
  const place = useFormMutation(OrderPlaceDocument, (data) => data.orderPlace);
  const set = <K extends keyof CheckoutValues>(key: K) => (value: CheckoutValues[K]) => setValues((current) => ({ ...current, [key]: value }));
  const max = maxQuantity(deal);
  const quantity = /^\d+$/.test(values.quantity.trim()) ? Number(values.quantity) : 0;

  const submit = async () => {
    const found = validateCheckout(values, deal, t);
    if (found.length) {
      place.setErrors(found);
      return;
    }
    const bank = values.provider === "BANK_TRANSFER";
    const data = await place.run({
      input: {
        items: [{ productId: deal.id, quantity }],
        provider: values.provider,
        email: values.email.trim(),
        couponCode: values.couponCode.trim(),
        idempotencyKey,
        payerName: bank ? values.payerName.trim() : "",
        payerEmail: bank ? values.payerEmail.trim() : "",
        contactChannel: bank ? values.contactChannel || "EMAIL" : null,
        contact: bank && values.contactChannel !== "EMAIL" ? values.contact.trim() : "",
      },
    });
    if (data?.orderPlace) onPlaced(data.orderPlace);
  };

  return (
    <Form onSubmit={submit} errors={place.errors} busy={place.fetching} aria-label={t("checkout.title")} className="form checkout-form">
      <QuantityField value={values.quantity} onChange={set("quantity")} min={deal.minPerPurchase} max={Math.max(max, deal.minPerPurchase)} />
      <ChoiceGroup
        name="provider"
        type="radio"
        legend={t("checkout.payWith")}
        value={[values.provider]}
        onChange={(value) => set("provider")(value[0] as PaymentProvider)}
        options={providers}
      />
      {providers.length === 0 ? <p role="alert">{t("checkout.noPaymentMethod")}</p> : null}
      {values.provider === "BANK_TRANSFER" ? (
        <fieldset className="form-grid checkout-payer">
          <legend className="form-section-title">{t("checkout.payerTitle")}</legend>
          <p className="muted small span-2">{t("checkout.payerLead")}</p>
          <TextField name="payerName" label={t("checkout.payerName")} value={values.payerName} onChange={set("payerName")} autoComplete="name" required />
          <TextField name="payerEmail" type="email" label={t("checkout.payerEmail")} value={values.payerEmail} onChange={set("payerEmail")} autoComplete="email" required />
          <ContactFields channel={values.contactChannel} contact={values.contact} onChannel={set("contactChannel")} onContact={set("contact")} />
        </fieldset>
      ) : (
        <p className="muted small">{t("checkout.cardLead")}</p>
      )}
      <div className="form-grid checkout-more">
        <TextField name="email" type="email" label={t("checkout.voucherEmail")} hint={t("checkout.voucherEmailHint")} value={values.email} onChange={set("email")} autoComplete="email" />
        <TextField name="couponCode" label={t("checkout.coupon")} hint={t("common.optional")} value={values.couponCode} onChange={set("couponCode")} autoComplete="off" />
      </div>
      <p className="checkout-total" data-testid="checkout-total">
        <span>{t("checkout.total")}</span>
        <strong>{quantity > 0 ? i18n.money({ amount: timesQuantity(deal.price.amount, quantity), currency: deal.price.currency }) : "—"}</strong>
      </p>
      <FormErrors />
      <SubmitButton>{values.provider === "STRIPE" ? t("checkout.payByCard") : t("checkout.placeOrder")}</SubmitButton>
    </Form>
  );
}
