/**
 * File uploads through the app's own GraphQL multipart request
 * (https://github.com/jaydenseric/graphql-multipart-request-spec): one multipart/form-data POST
 * to /graphql/ whose parts are, in this order,
 *
 *   operations  the operation as JSON, every file replaced by null
 *   map         which part fills which variable: {"0": ["variables.file"], ...}
 *   0, 1, ...   the files
 *
 * sent with the session cookie and the CSRF header like every other POST of the app.
 */
import { print, type DocumentNode } from "graphql";
import type { TypedDocumentNode } from "urql";

import { GRAPHQL_PATH } from "../../api/client";
import { CSRF_COOKIE, readCookie } from "../../api/csrf";

export interface Operation {
  query: string;
  operationName?: string | null;
  variables: Record<string, unknown>;
}

function isFile(value: unknown): value is Blob {
  return typeof Blob !== "undefined" && value instanceof Blob;
}

/** ``value`` with its files replaced by null, and the object path of each file found. */
export function extractFiles(value: unknown, path: string, found: Map<Blob, string[]> = new Map()): { clone: unknown; files: Map<Blob, string[]> } {
  if (isFile(value)) {
    found.set(value, [...(found.get(value) ?? []), path]);
    return { clone: null, files: found };
  }
  if (Array.isArray(value)) {
    return { clone: value.map((item, index) => extractFiles(item, `${path}.${index}`, found).clone), files: found };
  }
  if (value !== null && typeof value === "object") {
    const clone: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) clone[key] = extractFiles(item, `${path}.${key}`, found).clone;
    return { clone, files: found };
  }
  return { clone: value, files: found };
}

/** The spec's form: operations, then map, then one part per distinct file (the same file once). */
export function multipartBody(operation: Operation): FormData {
  const { clone, files } = extractFiles(operation.variables, "variables");
  const body = new FormData();
  body.append(
    "operations",
    JSON.stringify({ query: operation.query, operationName: operation.operationName ?? null, variables: clone }),
  );
  const map: Record<string, string[]> = {};
  const parts: [string, Blob][] = [];
  let index = 0;
  for (const [file, paths] of files) {
    map[String(index)] = paths;
    parts.push([String(index), file]);
    index += 1;
  }
  body.append("map", JSON.stringify(map));
  for (const [name, file] of parts) {
    const filename = file instanceof File ? file.name : "blob";
    body.append(name, file, filename);
  }
  return body;
}

export function operationName(document: DocumentNode): string | null {
  for (const definition of document.definitions) {
    if (definition.kind === "OperationDefinition") return definition.name?.value ?? null;
  }
  return null;
}

export interface UploadResult<Data> {
  data?: Data | null;
  /** Top-level errors (permission, CSRF, network): the first one's code and message. */
  error?: { code: string; message: string };
}

/**
 * Runs ``document`` (a mutation with Upload variables) as a multipart request. No Content-Type
 * header: the browser writes it, with the boundary.
 */
export async function uploadRequest<Data, Variables extends Record<string, unknown>>(
  document: TypedDocumentNode<Data, Variables>,
  variables: Variables,
  { fetcher = fetch, url = GRAPHQL_PATH }: { fetcher?: typeof fetch; url?: string } = {},
): Promise<UploadResult<Data>> {
  const body = multipartBody({ query: print(document), operationName: operationName(document), variables });
  const token = readCookie(CSRF_COOKIE);
  let response: Response;
  try {
    response = await fetcher(url, {
      method: "POST",
      body,
      credentials: "same-origin",
      headers: token ? { "X-CSRFToken": token } : {},
    });
  } catch {
    return { error: { code: "NETWORK", message: "" } };
  }
  let payload: { data?: Data | null; errors?: { message: string; extensions?: { code?: string } }[] };
  try {
    payload = await response.json();
  } catch {
    const code = response.status === 403 ? "CSRF_FAILED" : response.status === 413 ? "FILE_TOO_LARGE" : "ERROR";
    return { error: { code, message: "" } };
  }
  const first = payload.errors?.[0];
  if (first) return { data: payload.data, error: { code: first.extensions?.code ?? "ERROR", message: first.message } };
  return { data: payload.data };
}
