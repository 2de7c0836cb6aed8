import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import { ContactForm } from "./Contact";

type Answer = { ok: boolean; errors: { field: string | null; code: string; message: string }[] };

/** The form against a server that answers ``answers`` in turn; returns the requests' bodies. */
function setup(answers: Answer[], language: Language = "en") {
  const bodies: { variables: { input: Record<string, string> } }[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    bodies.push(JSON.parse(String(init?.body)));
    const answer = answers.shift();
    return new Response(JSON.stringify({ data: { contactMessageSend: answer } }), {
      headers: { "content-type": "application/json" },
    });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange] });
  render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>
        <ContactForm defaultEmail="ada@example.com" />
      </I18nProvider>
    </Provider>,
  );
  return { bodies };
}

const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });
const errorOf = (label: string) => {
  const input = screen.getByLabelText(label);
  const id = input.getAttribute("aria-describedby");
  return { invalid: input.getAttribute("aria-invalid"), text: id ? document.getElementById(id)?.textContent : null };
};

describe("the contact form", () => {
  it("shows each error at its field, then the thank-you once sent", async () => {
    const { bodies } = setup([
      {
        ok: false,
        errors: [
          { field: "name", code: "REQUIRED", message: "This field is required." },
          { field: "email", code: "RATE_LIMITED", message: "Too many messages. Try again in 42 minutes." },
        ],
      },
      { ok: true, errors: [] },
    ]);
    type("Subject", "Payouts");
    type("Message", "When are commissions paid?");
    fireEvent.click(screen.getByRole("button", { name: "Send the message" }));

    await waitFor(() => expect(errorOf("Your name").invalid).toBe("true"));
    expect(errorOf("Your name").text).toBe("This field is required.");
    expect(errorOf("Your email")).toEqual({ invalid: "true", text: "Too many messages. Try again in 42 minutes." });
    expect(errorOf("Subject").invalid).toBe("false");
    expect(document.activeElement).toBe(screen.getByLabelText("Your name"));
    expect(bodies[0].variables.input).toMatchObject({ name: "", email: "ada@example.com", subject: "Payouts", locale: "en", website: "" });

    type("Your name", "Ada");
    fireEvent.click(screen.getByRole("button", { name: "Send the message" }));
    const sent = await screen.findByTestId("contact-sent");
    expect(sent.textContent).toContain("Thank you, Ada. We will answer you at ada@example.com.");
    expect(screen.queryByLabelText("Your name")).toBeNull();
  });

  it("speaks French, with the catalog's wording for known codes", async () => {
    setup([{ ok: false, errors: [{ field: "email", code: "INVALID_EMAIL", message: "Enter a valid email address." }] }], "fr");
    fireEvent.click(screen.getByRole("button", { name: "Envoyer le message" }));
    await waitFor(() => expect(errorOf("Votre e-mail").text).toBe("Saisissez une adresse e-mail valide."));
  });
});
