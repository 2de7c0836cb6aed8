import { describe, expect, it, vi } from "vitest";

import { parse } from "graphql";
import type { TypedDocumentNode } from "urql";

import { extractFiles, multipartBody, operationName, uploadRequest } from "./multipart";

// Parsed here rather than through codegen: a test's document stays out of the generated types.
const UploadDocument = parse(`
  mutation ProductImageUploadForTest($productId: ID!, $file: Upload!, $altText: String!) {
    productImageUpload(productId: $productId, file: $file, altText: $altText) {
      image {
        id
      }
      errors {
        field
        code
        message
      }
    }
  }
`) as TypedDocumentNode<unknown, { productId: string; file: File; altText: string }>;

const png = () => new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], "photo.png", { type: "image/png" });

describe("the GraphQL multipart request", () => {
  it("sends operations, then map, then the files, with files nulled in the variables", () => {
    const file = png();
    const body = multipartBody({ query: "mutation ($file: Upload!) { x(file: $file) }", operationName: "X", variables: { productId: "7", file, altText: "Front" } });

    // FormData keeps insertion order, which is the order of the parts on the wire.
    expect([...body.keys()]).toEqual(["operations", "map", "0"]);
    expect(JSON.parse(body.get("operations") as string)).toEqual({
      query: "mutation ($file: Upload!) { x(file: $file) }",
      operationName: "X",
      variables: { productId: "7", file: null, altText: "Front" },
    });
    expect(JSON.parse(body.get("map") as string)).toEqual({ "0": ["variables.file"] });
    const part = body.get("0") as File;
    expect(part.name).toBe("photo.png");
    expect(part.type).toBe("image/png");
    expect(part.size).toBe(4);
  });

  it("maps files in lists and objects by their object path, the same file once", () => {
    const a = png();
    const b = new File(["b"], "b.webp", { type: "image/webp" });
    const { clone, files } = extractFiles({ files: [a, b], nested: { again: a }, text: "t" }, "variables");

    expect(clone).toEqual({ files: [null, null], nested: { again: null }, text: "t" });
    expect([...files.values()]).toEqual([["variables.files.0", "variables.nested.again"], ["variables.files.1"]]);

    const body = multipartBody({ query: "q", variables: { files: [a, b], nested: { again: a } } });
    expect(JSON.parse(body.get("map") as string)).toEqual({ "0": ["variables.files.0", "variables.nested.again"], "1": ["variables.files.1"] });
    expect([...body.keys()]).toEqual(["operations", "map", "0", "1"]);
  });

  it("posts to /graphql/ with the session cookie and the CSRF header, letting the browser set the boundary", async () => {
    document.cookie = "csrftoken=token-123";
    const fetcher = vi.fn(async () => new Response(JSON.stringify({ data: { productImageUpload: { image: { id: "9" }, errors: [] } } }), { headers: { "content-type": "application/json" } }));
    const result = await uploadRequest(UploadDocument, { productId: "7", file: png(), altText: "" }, { fetcher });

    expect(result).toEqual({ data: { productImageUpload: { image: { id: "9" }, errors: [] } } });
    expect(fetcher).toHaveBeenCalledTimes(1);
    const [url, init] = fetcher.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/graphql/");
    expect(init.method).toBe("POST");
    expect(init.credentials).toBe("same-origin");
    expect(init.headers).toEqual({ "X-CSRFToken": "token-123" });
    const body = init.body as FormData;
    const operations = JSON.parse(body.get("operations") as string);
    expect(operations.operationName).toBe("ProductImageUploadForTest");
    expect(operations.query).toContain("mutation ProductImageUploadForTest");
    expect(operations.variables).toEqual({ productId: "7", file: null, altText: "" });
    expect(operationName(UploadDocument)).toBe("ProductImageUploadForTest");
  });

  it("turns a refused request into an error with a code", async () => {
    const forbidden = vi.fn(async () => new Response(JSON.stringify({ data: null, errors: [{ message: "No.", extensions: { code: "FORBIDDEN" } }] })));
    expect(await uploadRequest(UploadDocument, { productId: "7", file: png(), altText: "" }, { fetcher: forbidden })).toEqual({
      data: null,
      error: { code: "FORBIDDEN", message: "No." },
    });
    const csrf = vi.fn(async () => new Response("<h1>Forbidden</h1>", { status: 403 }));
    expect((await uploadRequest(UploadDocument, { productId: "7", file: png(), altText: "" }, { fetcher: csrf })).error?.code).toBe("CSRF_FAILED");
    const down = vi.fn(async () => {
      throw new TypeError("Failed to fetch");
    });
    expect((await uploadRequest(UploadDocument, { productId: "7", file: png(), altText: "" }, { fetcher: down })).error?.code).toBe("NETWORK");
  });
});
