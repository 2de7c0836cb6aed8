/**
 * A mutation whose payload carries `errors { field code message }`, for forms:
 *
 *   const save = useFormMutation(WithdrawalRequestMutation, (data) => data.withdrawalRequest);
 *   const data = await save.run({ input });   // null when there were errors
 *   <Form errors={save.errors} busy={save.fetching} ...>
 *
 * Top-level errors (UNAUTHENTICATED, FORBIDDEN, network) become form-level errors.
 */
import { useCallback, useState } from "react";
import { useMutation, type AnyVariables, type TypedDocumentNode } from "urql";

import { asUserErrors, type UserError } from "./errors";

export function useFormMutation<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  payload: (data: Data) => { errors: UserError[] } | null | undefined,
) {
  const [state, execute] = useMutation<Data, Variables>(document);
  const [errors, setErrors] = useState<UserError[]>([]);
  const run = useCallback(
    async (variables: Variables): Promise<Data | null> => {
      const result = await execute(variables);
      const found = result.error ? asUserErrors(result.error) : (result.data && payload(result.data)?.errors) || [];
      setErrors(found);
      return found.length === 0 && result.data ? result.data : null;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [execute],
  );
  return { run, errors, setErrors, fetching: state.fetching };
}
