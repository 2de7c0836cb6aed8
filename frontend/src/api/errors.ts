/** What the API answers when something goes wrong, made ready to show. */
import type { CombinedError } from "urql";

export interface UserError {
  field?: string | null;
  code: string;
  message: string;
  /** The specifics the server's sentence names (minimum, currency, ...), when asked for. */
  params?: { name: string; value: string }[] | null;
}

/** The `extensions.code` of the first top-level error (UNAUTHENTICATED, FORBIDDEN, ...). */
export function errorCode(error: CombinedError | undefined): string | null {
  if (!error) return null;
  for (const graphQLError of error.graphQLErrors) {
    const code = graphQLError.extensions?.code;
    if (typeof code === "string") return code;
  }
  if (error.networkError) return "NETWORK";
  return null;
}

/**
 * GraphQL's own wording when a variable does not fit its type, e.g. "Variable '$input' has
 * invalid value at .amount: Decimal cannot represent ...": the path inside the variable names
 * the field ("amount", "details.iban", "items.0.quantity").
 */
const INVALID_VARIABLE = /^Variable '\$\w+' (?:has|got) invalid value(?: at ((?:\.\w+|\[\d+\])+))?/;

function invalidVariableField(message: string): string | null | undefined {
  const match = INVALID_VARIABLE.exec(message);
  if (!match) return undefined;
  if (!match[1]) return null;
  return match[1].replace(/\[(\d+)\]/g, ".$1").replace(/^\./, "");
}

/**
 * A top-level error as a UserError, for the forms. A value the API could not even read (a
 * variable of the wrong type) becomes an INVALID error at its field, with our own words: the
 * GraphQL sentence means nothing to the person filling in the form.
 */
export function asUserErrors(error: CombinedError | undefined): UserError[] {
  if (!error) return [];
  const first = error.graphQLErrors[0];
  if (first) {
    const field = invalidVariableField(first.message);
    if (field !== undefined) return [{ field, code: "INVALID", message: "" }];
  }
  const code = errorCode(error) ?? "ERROR";
  const message = first?.message ?? error.message;
  return [{ field: null, code, message }];
}
