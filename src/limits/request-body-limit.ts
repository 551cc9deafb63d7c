import { GraphQLError } from "graphql";
import type { Plugin } from "graphql-yoga";

function tooLarge(limit: number): GraphQLError {
  return new GraphQLError(
    `The request body is larger than the limit of ${limit} bytes (MAX_BODY_BYTES)`,
    { extensions: { http: { status: 413 }, code: "REQUEST_TOO_LARGE" } },
  );
}

/**
 * Refuses request bodies over `limit` bytes, in place of Yoga's `maxRequestBodySize` (which must
 * then be `false`). Yoga's check pipes every body through a TransformStream, and that pipe cost
 * as much CPU as all of a page query's execution. Here a body with a Content-Length is judged by
 * the header alone (Node's HTTP parser never delivers more bytes than it declares); only a chunked
 * body, which has none, is counted while it is read.
 */
export function requestBodyLimit(limit: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, fetchAPI }) {
      const declared = request.headers.get("content-length");
      if (declared !== null) {
        if (!/^\d+$/.test(declared)) {
          throw new GraphQLError("The Content-Length header is not a byte count", {
            extensions: { http: { status: 400 }, code: "BAD_REQUEST" },
          });
        }
        if (Number(declared) > limit) throw tooLarge(limit);
        return;
      }
      if (requestParser === undefined || request.body === null) return;
      setRequestParser(async (chunked) => {
        const body = await readAtMost(chunked, limit);
        const { method, headers, signal } = chunked;
        return requestParser(new fetchAPI.Request(chunked.url, { method, headers, signal, body }));
      });
    },
  };
}

/** Reads a whole body, giving up with a 413 as soon as it passes `limit` bytes. */
async function readAtMost(request: Request, limit: number): Promise<Blob> {
  const chunks: Array<Uint8Array<ArrayBuffer>> = [];
  let size = 0;
  const reader = (request.body as ReadableStream<Uint8Array<ArrayBuffer>>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return new Blob(chunks);
}
