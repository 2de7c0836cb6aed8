import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import { OrderStatusBadge } from "./orderParts";
import type { OrderStatus, PaymentStatus } from "../../gql/graphql";

function badge(status: OrderStatus, paymentStatus: PaymentStatus | null, language: Language = "en"): string {
  render(
    <I18nProvider defaultLanguage={language}>
      <OrderStatusBadge status={status} paymentStatus={paymentStatus} />
    </I18nProvider>,
  );
  const text = screen.getByTestId("order-status").textContent ?? "";
  document.body.innerHTML = "";
  return text;
}

describe("the order's badge", () => {
  it("follows a reported bank transfer instead of saying 'awaiting payment'", () => {
    expect(badge("PENDING_PAYMENT", "PENDING")).toBe("Awaiting payment");
    expect(badge("PENDING_PAYMENT", "TRANSACTION_SUBMITTED")).toBe("Transfer reported — awaiting verification");
    expect(badge("PENDING_PAYMENT", "VERIFIED")).toBe("Transfer verified — awaiting confirmation");
    expect(badge("PENDING_PAYMENT", "TRANSACTION_SUBMITTED", "fr")).toBe("Virement signalé — en attente de vérification");
    expect(badge("PAID", "CONFIRMED")).toBe("Paid");
  });
});
