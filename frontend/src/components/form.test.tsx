import { render, screen } from "@testing-library/react";
import { useState } from "react";
import { describe, expect, it } from "vitest";

import { CombinedError } from "urql";

import { asUserErrors, type UserError } from "../api/errors";
import { I18nProvider, type Language } from "../i18n";
import { Form, FormErrors, SubmitButton, TextField } from "./form";

function WithdrawalForm({ errors, language = "en" }: { errors: UserError[]; language?: Language }) {
  const [amount, setAmount] = useState("5");
  const [email, setEmail] = useState("me@example.com");
  return (
    <I18nProvider defaultLanguage={language}>
      <Form onSubmit={() => undefined} errors={errors}>
        <TextField name="amount" label="Amount" value={amount} onChange={setAmount} hint="Minimum 10" />
        <TextField name="details.email" label="PayPal email" value={email} onChange={setEmail} />
        <FormErrors />
        <SubmitButton>Send</SubmitButton>
      </Form>
    </I18nProvider>
  );
}

const ERRORS: UserError[] = [
  { field: "amount", code: "BELOW_MINIMUM", message: "The minimum withdrawal is 10 EUR." },
  { field: null, code: "RATE_LIMITED", message: "Too many requests." },
  { field: "affiliate", code: "NOT_APPROVED", message: "Your membership is not approved." },
];

describe("field errors", () => {
  it("shows each error at its field, the rest above the buttons", () => {
    render(<WithdrawalForm errors={ERRORS} />);

    const amount = screen.getByLabelText("Amount");
    expect(amount.getAttribute("aria-invalid")).toBe("true");
    const message = document.getElementById(amount.getAttribute("aria-describedby")!);
    expect(message?.textContent).toContain("The minimum withdrawal is 10 EUR.");
    expect(amount.closest(".field")?.contains(message!)).toBe(true);
    expect(document.activeElement).toBe(amount);

    const email = screen.getByLabelText("PayPal email");
    expect(email.getAttribute("aria-invalid")).toBe("false");
    expect(email.closest(".field")?.querySelector(".field-error")).toBeNull();

    const alert = document.querySelector(".form-errors")!;
    expect(alert.textContent).toContain("Too many requests.");
    expect(alert.textContent).toContain("Your membership is not approved.");
    expect(alert.textContent).not.toContain("minimum");
  });

  it("shows the hint when there is no error", () => {
    render(<WithdrawalForm errors={[]} />);

    const amount = screen.getByLabelText("Amount");
    expect(amount.getAttribute("aria-invalid")).toBe("false");
    expect(document.getElementById(amount.getAttribute("aria-describedby")!)?.textContent).toBe("Minimum 10");
    expect(document.querySelector(".form-errors")).toBeNull();
  });

  it("words errors in the visitor's language by their code", () => {
    render(<WithdrawalForm errors={ERRORS} language="fr" />);

    const amount = screen.getByLabelText("Amount");
    expect(amount.closest(".field")?.querySelector(".field-error")?.textContent).toContain(
      "Ce montant est inférieur au retrait minimum.",
    );
  });

  it("keeps the specifics of a translated message (the minimum, the balance) when the error carries them", () => {
    const errors: UserError[] = [
      {
        field: "amount",
        code: "BELOW_MINIMUM",
        message: "The minimum withdrawal is 50.00 EUR.",
        params: [
          { name: "minimum", value: "50.00" },
          { name: "currency", value: "EUR" },
        ],
      },
      {
        field: null,
        code: "INSUFFICIENT_BALANCE",
        message: "You have 12.50 EUR available.",
        params: [
          { name: "available", value: "12.50" },
          { name: "currency", value: "EUR" },
        ],
      },
    ];
    render(<WithdrawalForm errors={errors} language="fr" />);

    const amount = screen.getByLabelText("Amount");
    const text = (amount.closest(".field")?.querySelector(".field-error")?.textContent ?? "").replace(/\s/g, " ");
    expect(text).toBe("Le retrait minimum est de 50,00 €.");
    expect(document.querySelector(".form-errors")?.textContent?.replace(/\s/g, " ")).toBe("Vous avez 12,50 € disponibles.");
  });
});

describe("errors the API could not read", () => {
  it("become an INVALID error at their field, never GraphQL's sentence", () => {
    const error = new CombinedError({
      graphQLErrors: [{ message: "Variable '$input' has invalid value at .amount: Decimal cannot represent value: ''" }],
    });
    expect(asUserErrors(error)).toEqual([{ field: "amount", code: "INVALID", message: "" }]);
    const nested = new CombinedError({ graphQLErrors: [{ message: "Variable '$input' has invalid value at .items[0].quantity: Int cannot represent" }] });
    expect(asUserErrors(nested)[0].field).toBe("items.0.quantity");
    expect(asUserErrors(new CombinedError({ graphQLErrors: [{ message: "Boom", extensions: { code: "FORBIDDEN" } }] }))).toEqual([
      { field: null, code: "FORBIDDEN", message: "Boom" },
    ]);
  });
});
