/**
 * A query result for <QueryState>: when a non-null root field fails, GraphQL answers
 * `data: null` with the error, and urql passes that null on; QueryState shows its error state
 * only while `data` is undefined. This makes the two the same.
 */
import type { CombinedError } from "urql";

export function settled<Data>(result: { data?: Data | null; fetching: boolean; error?: CombinedError }): {
  data?: Data;
  fetching: boolean;
  error?: CombinedError;
} {
  return { data: result.data ?? undefined, fetching: result.fetching, error: result.error };
}
