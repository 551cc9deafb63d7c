import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { sendNodeResponse } from "@whatwg-node/server";
import type { ExecutionResult } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Gateway } from "../yoga.js";

type ResultProcessHook = NonNullable<Plugin["onResultProcess"]>;
type ProcessPayload = Parameters<ResultProcessHook>[0];
type ResultProcessor = NonNullable<ProcessPayload["resultProcessor"]>;
type ProcessedResult = ProcessPayload["result"];

/**
 * Answers a streamed result on the direct path (src/server/direct-post.ts) exactly as Yoga's
 * adapter would: a subscription POSTed as JSON whose `Accept` also allows an event stream
 * (`*∕*`, or urql's list) gets Yoga's SSE answer; one that allows only JSON gets Yoga's 406. It
 * runs the server's result-processor hooks (Yoga's own and every plugin's) the way Yoga's
 * `processResult` does, then writes the answer with the Node adapter's own `sendNodeResponse`.
 * Returns the status sent.
 *
 * The hooks list is a private field of Yoga's server, read like `getResultForParams`: Yoga is
 * pinned, and test/direct-post.test.ts holds both paths to equal answers for subscriptions too.
 */
export async function sendStreamedResult(
  gateway: Gateway,
  request: Request,
  req: IncomingMessage,
  res: ServerResponse,
  streamed: AsyncIterable<ExecutionResult>,
  extraHeaders: OutgoingHttpHeaders,
): Promise<number> {
  const hooks = (gateway as unknown as { onResultProcessHooks?: ResultProcessHook[] })
    .onResultProcessHooks;
  if (!Array.isArray(hooks)) {
    throw new Error("Yoga no longer exposes its result-processor hooks: streams cannot be served");
  }
  let result: ProcessedResult = streamed;
  let processor: ResultProcessor | undefined;
  let mediaType = "*/*";
  const acceptableMediaTypes: string[] = [];
  for (const hook of hooks) {
    await hook({
      request,
      acceptableMediaTypes,
      result,
      setResult: (next) => {
        result = next;
      },
      resultProcessor: processor,
      setResultProcessor: (next, type) => {
        processor = next;
        mediaType = type;
      },
      serverContext: { req, res } as unknown as ProcessPayload["serverContext"],
    });
  }
  const response =
    processor === undefined
      ? new gateway.fetchAPI.Response(null, {
          status: 406,
          statusText: "Not Acceptable",
          headers: { accept: acceptableMediaTypes.join("; charset=utf-8, ") },
        })
      : await processor(result, gateway.fetchAPI, mediaType);
  // What the gateway's onResponse hooks add on Yoga's adapter: CORS and the request id.
  for (const [name, value] of Object.entries(extraHeaders)) {
    if (value !== undefined) response.headers.set(name, String(value));
  }
  await sendNodeResponse(response, res, req, true);
  return response.status;
}
