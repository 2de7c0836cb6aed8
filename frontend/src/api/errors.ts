/** What the API answers when something goes wrong, made ready to show. */
import type { CombinedError } from "urql";

export interface UserError {
  field?: string | null;
  code: string;
  message: string;
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

/** A top-level error as a UserError, for the forms' alert. */
export function asUserErrors(error: CombinedError | undefined): UserError[] {
  if (!error) return [];
  const code = errorCode(error) ?? "ERROR";
  const message = error.graphQLErrors[0]?.message ?? error.message;
  return [{ field: null, code, message }];
}
