import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import { CheckoutForm, maxQuantity, validateCheckout, type CheckoutDeal, type CheckoutValues, type Placed } from "./CheckoutForm";
import { translate } from "../../i18n";

const DEAL: CheckoutDeal = {
  id: "42",
  title: "Hammam for two",
  price: { amount: "45.00", currency: "EUR" },
  minPerPurchase: 1,
  maxPerPurchase: 4,
  stock: 3,
};

function answer(data: unknown) {
  return new Response(JSON.stringify({ data }), { headers: { "content-type": "application/json" } });
}

function setup({
  language = "en",
  reply,
  methods,
}: { language?: Language; reply?: () => Response; methods?: { card: boolean; bankTransfer: boolean } } = {}) {
  const fetcher = vi.fn(async () => (reply ? reply() : answer({ orderPlace: { order: null, checkoutUrl: null, bankTransfer: null, errors: [] } })));
  const client = new Client({ url: "http://localhost/graphql/", exchanges: [fetchExchange], fetch: fetcher as unknown as typeof fetch });
  const onPlaced = vi.fn<(placed: Placed) => void>();
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <CheckoutForm deal={DEAL} methods={methods} defaultEmail="ada@example.com" defaultName="Ada Lovelace" onPlaced={onPlaced} />
      </I18nProvider>
    </Provider>,
  );
  return { fetcher, onPlaced };
}

/** The field block of the input labelled ``label``, and its error text. */
function fieldOf(label: string) {
  const input = screen.getByLabelText(label);
  const field = input.closest(".field") as HTMLElement;
  return { input, field, error: field.querySelector(".field-error")?.textContent ?? null };
}

function sentInput(fetcher: ReturnType<typeof vi.fn>) {
  const init = fetcher.mock.calls[0][1] as RequestInit;
  return JSON.parse(init.body as string).variables.input;
}

describe("the checkout form", () => {
  it("caps the quantity at the stock left when it is below the maximum", () => {
    expect(maxQuantity(DEAL)).toBe(3);
    expect(maxQuantity({ ...DEAL, stock: null })).toBe(4);
  });

  it("keeps the − and + buttons focusable at the limits (aria-disabled) and ignores their clicks there", () => {
    setup();
    const quantity = screen.getByLabelText("Quantity") as HTMLInputElement;
    const less = screen.getByRole("button", { name: "One less" });
    const more = screen.getByRole("button", { name: "One more" });
    expect(less.getAttribute("aria-disabled")).toBe("true");
    more.focus();
    fireEvent.click(more);
    fireEvent.click(more);
    expect(quantity.value).toBe("3");
    expect(more.getAttribute("aria-disabled")).toBe("true");
    expect(more.hasAttribute("disabled")).toBe(false);
    fireEvent.click(more);
    expect(quantity.value).toBe("3");
    expect(document.activeElement).toBe(more);
    fireEvent.click(less);
    expect(quantity.value).toBe("2");
  });

  it("shows a quantity outside the deal's limits at the quantity, without asking the server", async () => {
    const { fetcher } = setup();
    fireEvent.change(screen.getByLabelText("Quantity"), { target: { value: "5" } });
    fireEvent.click(screen.getByRole("button", { name: "Place the order" }));

    const quantity = fieldOf("Quantity");
    expect(quantity.input.getAttribute("aria-invalid")).toBe("true");
    expect(quantity.error).toBe("From 1 to 3 per order.");
    expect(document.getElementById(quantity.input.getAttribute("aria-describedby")!)?.textContent).toBe("From 1 to 3 per order.");
    await waitFor(() => expect(document.activeElement).toBe(quantity.input));
    expect(fetcher).not.toHaveBeenCalled();
    expect(document.querySelector(".form-errors")).toBeNull();
  });

  it("reaches a bank transfer's payer by email unless they pick a messaging app, and marks what is required", async () => {
    const { fetcher } = setup();
    expect((screen.getByLabelText("Reach me on") as HTMLSelectElement).value).toBe("EMAIL");
    expect(screen.queryByLabelText("Handle or number")).toBeNull();
    for (const label of ["Name on the bank account", "Email", "Reach me on"]) {
      const { input, field } = fieldOf(label);
      expect(input.hasAttribute("required")).toBe(true);
      // The asterisk is drawn by CSS (.field-required label::after); screen readers hear "required".
      expect(field.classList.contains("field-required")).toBe(true);
    }
    fireEvent.click(screen.getByRole("button", { name: "Place the order" }));

    await waitFor(() => expect(fetcher).toHaveBeenCalled());
    expect(sentInput(fetcher)).toMatchObject({ payerEmail: "ada@example.com", contactChannel: "EMAIL", contact: "" });
  });

  it("asks a bank transfer's payer for a way to reach them, field by field", () => {
    const { fetcher } = setup();
    fireEvent.change(screen.getByLabelText("Name on the bank account"), { target: { value: " " } });
    fireEvent.change(screen.getByLabelText("Reach me on"), { target: { value: "TELEGRAM" } });
    expect(fieldOf("Handle or number").input.hasAttribute("required")).toBe(true);
    fireEvent.click(screen.getByRole("button", { name: "Place the order" }));

    expect(fieldOf("Name on the bank account").error).toBe("Enter the name the transfer will come from.");
    expect(fieldOf("Reach me on").error).toBeNull();
    expect(fieldOf("Handle or number").error).toBe("Enter your handle or number.");
    expect(fieldOf("Email").error).toBeNull();
    expect(fieldOf("Quantity").error).toBeNull();
    expect(fetcher).not.toHaveBeenCalled();
  });

  it("puts the server's errors at their fields, items.0.quantity included", async () => {
    const { fetcher, onPlaced } = setup({
      reply: () =>
        answer({
          orderPlace: {
            order: null,
            checkoutUrl: null,
            bankTransfer: null,
            errors: [
              { field: "items.0.quantity", code: "OUT_OF_STOCK", message: "Only 2 units are left." },
              { field: "contact", code: "INVALID_CONTACT", message: "A WhatsApp number starts with + and the country code." },
              { field: "items.0.productId", code: "PRODUCT_UNAVAILABLE", message: "This deal is not on sale." },
            ],
          },
        }),
    });
    fireEvent.change(screen.getByLabelText("Quantity"), { target: { value: "3" } });
    fireEvent.change(screen.getByLabelText("Reach me on"), { target: { value: "WHATSAPP" } });
    fireEvent.change(screen.getByLabelText("Handle or number"), { target: { value: "0600" } });
    fireEvent.click(screen.getByRole("button", { name: "Place the order" }));

    await waitFor(() => expect(fieldOf("Quantity").error).toBe("Only 2 units are left."));
    expect(fieldOf("Handle or number").error).toBe("A WhatsApp number starts with + and the country code.");
    expect(fieldOf("Handle or number").input.getAttribute("aria-invalid")).toBe("true");
    // No input for the product: its error goes above the button.
    expect(document.querySelector(".form-errors")?.textContent).toBe("This deal is not on sale.");
    expect(onPlaced).not.toHaveBeenCalled();

    const input = sentInput(fetcher);
    expect(input).toMatchObject({
      items: [{ productId: "42", quantity: 3 }],
      provider: "BANK_TRANSFER",
      payerName: "Ada Lovelace",
      payerEmail: "ada@example.com",
      contactChannel: "WHATSAPP",
      contact: "0600",
    });
    expect(typeof input.idempotencyKey).toBe("string");
  });

  it("words the server's errors in French by their code", async () => {
    setup({
      language: "fr",
      reply: () => answer({ orderPlace: { order: null, checkoutUrl: null, bankTransfer: null, errors: [{ field: "items.0.quantity", code: "OUT_OF_STOCK", message: "Only 2 units are left." }] } }),
    });
    fireEvent.change(screen.getByLabelText("Me joindre sur"), { target: { value: "TELEGRAM" } });
    fireEvent.change(screen.getByLabelText("Identifiant ou numéro"), { target: { value: "@ada" } });
    fireEvent.click(screen.getByRole("button", { name: "Passer la commande" }));
    await waitFor(() => expect(fieldOf("Quantité").error).toBe("Il ne reste pas assez d'unités."));
  });

  it("pays by card without the payer's details, and hands the answer over", async () => {
    const placed = { order: null, checkoutUrl: "https://stripe.test/pay/cs_1", bankTransfer: null, errors: [] };
    const { fetcher, onPlaced } = setup({ reply: () => answer({ orderPlace: placed }) });
    fireEvent.click(screen.getByLabelText("Card (secure Stripe page)"));
    expect(screen.queryByLabelText("Name on the bank account")).toBeNull();
    expect(screen.getByTestId("checkout-total").textContent).toBe("Total€45.00");
    fireEvent.click(screen.getByRole("button", { name: "One more" }));
    expect(screen.getByTestId("checkout-total").textContent).toBe("Total€90.00");
    fireEvent.click(screen.getByRole("button", { name: "Pay by card" }));

    await waitFor(() => expect(onPlaced).toHaveBeenCalledWith(placed));
    expect(sentInput(fetcher)).toMatchObject({ provider: "STRIPE", items: [{ productId: "42", quantity: 2 }], payerName: "", contactChannel: null });
  });

  it("offers only the payment methods the brand takes", () => {
    setup({ methods: { card: true, bankTransfer: false } });
    expect(screen.queryByLabelText("Bank transfer")).toBeNull();
    expect((screen.getByLabelText("Card (secure Stripe page)") as HTMLInputElement).checked).toBe(true);
    expect(screen.queryByLabelText("Name on the bank account")).toBeNull();
  });

  it("says so when the brand takes no payment online", () => {
    setup({ methods: { card: false, bankTransfer: false } });
    expect(screen.getByRole("alert").textContent).toContain("does not take payments online");
  });

  it("validates without a DOM too", () => {
    const t = (key: Parameters<typeof translate>[1], params?: Record<string, string | number>) => translate("en", key, params);
    const values: CheckoutValues = { quantity: "0", provider: "STRIPE", email: "", couponCode: "", payerName: "", payerEmail: "", contactChannel: "", contact: "" };
    expect(validateCheckout(values, DEAL, t).map((error) => error.field)).toEqual(["items.0.quantity"]);
    expect(validateCheckout({ ...values, quantity: "2" }, DEAL, t)).toEqual([]);
    expect(validateCheckout({ ...values, quantity: "1.5" }, DEAL, t).map((error) => error.code)).toEqual(["QUANTITY_OUT_OF_RANGE"]);
  });
});
