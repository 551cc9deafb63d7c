import type { Plugin } from "graphql-yoga";

/**
 * Caps the request body before Yoga reads it. Node's HTTP parser never delivers more bytes than
 * `content-length` says, so checking the header is enough; a POST without one (a chunked upload)
 * is refused rather than buffered without bound.
 */
export function bodySizePlugin(maxBodyBytes: number): Plugin {
  return {
    onRequest({ request, fetchAPI, endResponse }) {
      if (request.method !== "POST") return;
      const header = request.headers.get("content-length");
      const refuse = (status: number, code: string, message: string) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
            status,
            headers: { "content-type": "application/json" },
          }),
        );
      if (header === null) {
        refuse(411, "LENGTH_REQUIRED", "A POST body must come with a Content-Length header");
      } else if (Number(header) > maxBodyBytes) {
        refuse(
          413,
          "REQUEST_TOO_LARGE",
          `The request body is ${header} bytes, above the limit of ${maxBodyBytes} (MAX_BODY_BYTES)`,
        );
      }
    },
  };
}
