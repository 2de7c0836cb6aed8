import { fireEvent, render, screen, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { Client, fetchExchange, Provider } from "urql";
import { describe, expect, it, vi } from "vitest";

import { I18nProvider, type Language } from "../../i18n";
import { useFreshTwoFactor } from "./FreshTwoFactor";
import { TwoFactorLoginStep } from "./TwoFactorLoginStep";

type Body = { query: string; variables: Record<string, string> };

/** A client whose server answers ``answers`` (the `data` of each response) in turn. */
function clientAnswering(answers: object[]) {
  const bodies: Body[] = [];
  const fetcher = vi.fn(async (_url: string, init?: RequestInit) => {
    bodies.push(JSON.parse(String(init?.body)));
    return new Response(JSON.stringify({ data: answers.shift() }), { headers: { "content-type": "application/json" } });
  });
  const client = new Client({ url: "http://localhost/graphql/", fetch: fetcher as unknown as typeof fetch, exchanges: [fetchExchange] });
  return { client, bodies };
}

function wrap(client: Client, children: ReactNode, language: Language = "en") {
  return render(
    <Provider value={client}>
      <I18nProvider defaultLanguage={language}>{children}</I18nProvider>
    </Provider>,
  );
}

const ME = { id: "1", email: "ada@example.com", fullName: "Ada", role: "AFFILIATE" };

describe("the second step of a sign-in", () => {
  it("shows a wrong code's error, then signs in with the right one", async () => {
    const { client, bodies } = clientAnswering([
      { loginVerifyTwoFactor: { user: null, errors: [{ field: "code", code: "INVALID_TWO_FACTOR_CODE", message: "This code is not valid. Try the current one." }] } },
      { loginVerifyTwoFactor: { user: ME, errors: [] } },
    ]);
    const signedIn = vi.fn();
    wrap(client, <TwoFactorLoginStep onSignedIn={signedIn} onStartOver={() => undefined} />);

    fireEvent.change(screen.getByLabelText("Code"), { target: { value: "000000" } });
    fireEvent.click(screen.getByRole("button", { name: "Verify" }));
    await screen.findByText("This code is not valid. Try the current one.");
    fireEvent.change(screen.getByLabelText("Code"), { target: { value: "123456" } });
    fireEvent.click(screen.getByRole("button", { name: "Verify" }));

    await waitFor(() => expect(signedIn).toHaveBeenCalledWith(ME));
    expect(bodies.map((body) => body.variables.code)).toEqual(["000000", "123456"]);
  });

  it("speaks French", () => {
    const { client } = clientAnswering([]);
    wrap(client, <TwoFactorLoginStep onSignedIn={() => undefined} onStartOver={() => undefined} />, "fr");
    expect(screen.getByRole("heading").textContent).toBe("Authentification à deux facteurs");
  });
});

function Sensitive({ errors, retry }: { errors: { field: string | null; code: string; message: string }[]; retry: () => void }) {
  const fresh = useFreshTwoFactor(errors, retry);
  return <div>{fresh.dialog}</div>;
}

describe("the fresh check before a sensitive action", () => {
  it("asks for a code when the server wants one, then runs the action again", async () => {
    const { client, bodies } = clientAnswering([{ twoFactorVerify: { ok: true, errors: [] } }]);
    const retry = vi.fn();
    wrap(client, <Sensitive errors={[{ field: "code", code: "FRESH_TWO_FACTOR_REQUIRED", message: "" }]} retry={retry} />);

    fireEvent.change(await screen.findByLabelText("Code"), { target: { value: "654321" } });
    fireEvent.click(screen.getByRole("button", { name: "Verify" }));

    await waitFor(() => expect(retry).toHaveBeenCalledTimes(1));
    expect(bodies[0].variables).toEqual({ code: "654321" });
  });
});
