import { createHmac, timingSafeEqual } from "node:crypto";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { isPlausibleJobId } from "../job-id.js";
import type { GatewayMetrics, WebhookResult } from "../observability/metrics.js";
import { requestIdOf } from "../observability/plugin.js";
import { noteWebhookEvent, traceWebhooks } from "../tracing/index.js";

/**
 * `POST /webhooks/llamacloud`: LlamaCloud's signed job events (`parse.pending`, `parse.success`,
 * …) turned into nudges of the live status poll (src/live/), so a watched job's change is pushed
 * at once instead of at the next tick. The event is a hint and never the job's state: a nudge only
 * makes the pollers watching that job re-read it from the upstream, so a forged or replayed event
 * that got past the signature could cost a call, never show a wrong status.
 *
 * It answers in `onRequest`, before Yoga's GraphQL handling, and only on its own path: the direct
 * path (src/server/direct-post.ts) takes nothing but POSTs to /graphql, so `yoga.ts` can mark it
 * with `handledByDirectPath`.
 */

export const WEBHOOK_PATH = "/webhooks/llamacloud";

export interface WebhookOptions {
  /** The signing secret configured in LlamaCloud (`LLAMA_CLOUD_WEBHOOK_SECRET`). */
  secret: string;
  /** Largest body read (`MAX_BODY_BYTES`); a larger one is refused with 413 unread. */
  maxBodyBytes: number;
  logger: Logger;
  metrics: GatewayMetrics;
  /** Re-reads these jobs for every poller watching them (`LiveStatus.nudge`); must not block. */
  nudge(jobIds: readonly string[]): void;
}

/** `sha256=` and 32 bytes of hex: the only form LlamaCloud sends (`LC-Signature`). */
const SIGNATURE = /^sha256=([0-9a-f]{64})$/i;
/** The keys a job id is read from, at the top level of the event or under `data`. */
const ID_KEYS = ["job_id", "jobId", "id"] as const;
/** The keys an event name is read from; logged only, never needed. */
const EVENT_KEYS = ["event", "event_type", "eventType", "type"] as const;

/** Why a request to the path was refused, as logged: never the secret, the body or a header. */
type Refusal = { status: 401 | 413 | 400; reason: string };

export function webhookPlugin(options: WebhookOptions): Plugin {
  const { secret, maxBodyBytes, logger, metrics } = options;
  const key = Buffer.from(secret, "utf8");
  // With tracing on, each delivery to WEBHOOK_PATH runs in a span of its own (src/tracing/).
  return traceWebhooks(WEBHOOK_PATH, {
    onRequest({ request, url, fetchAPI, endResponse }) {
      if (url.pathname !== WEBHOOK_PATH) return;
      if (request.method !== "POST") {
        endResponse(
          new fetchAPI.Response(null, {
            status: 405,
            headers: { allow: "POST" },
          }),
        );
        return;
      }
      const answer = (status: number, body: Record<string, unknown>) =>
        endResponse(
          new fetchAPI.Response(JSON.stringify(body), {
            status,
            headers: { "content-type": "application/json; charset=utf-8" },
          }),
        );
      const refuse = ({ status, reason }: Refusal) => {
        metrics.recordWebhook("refused");
        logger.warn({ msg: "webhook refused", requestId: requestIdOf(request), status, reason });
        answer(status, { error: reason });
      };
      const signature = SIGNATURE.exec(request.headers.get("lc-signature")?.trim() ?? "");
      if (signature === null) {
        const reason = request.headers.has("lc-signature")
          ? "malformed LC-Signature header (expected sha256=<64 hex digits>)"
          : "missing LC-Signature header";
        refuse({ status: 401, reason });
        return;
      }
      return readBody(request, maxBodyBytes).then((body) => {
        if ("reason" in body) return refuse(body);
        // Over the bytes exactly as received: any re-serialisation would change the digest.
        const expected = createHmac("sha256", key).update(body).digest();
        const given = Buffer.from(signature[1] ?? "", "hex");
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          return refuse({ status: 401, reason: "LC-Signature does not match the body" });
        }
        const event = readEvent(body);
        const result: WebhookResult = event.jobIds.length > 0 ? "accepted" : "ignored";
        metrics.recordWebhook(result);
        noteWebhookEvent(result, event.jobIds.length);
        const requestId = requestIdOf(request);
        if (result === "ignored") {
          // Signed, so from LlamaCloud: a payload shape this code does not know yet, worth a look.
          logger.warn({
            msg: "webhook ignored",
            requestId,
            reason: event.unusable,
            keys: event.keys,
          });
          // 2xx all the same: LlamaCloud retries anything else, and the same bytes will never
          // name a job. Polling still picks up whatever change the event was about.
          return answer(202, { nudged: [], ignored: event.unusable });
        }
        logger.debug({ msg: "webhook", requestId, event: event.name, jobIds: event.jobIds });
        try {
          // Fire and forget: the re-read runs after this answer, whatever it meets upstream.
          options.nudge(event.jobIds);
        } catch (error) {
          logger.error({ msg: "webhook nudge failed", requestId, err: error });
        }
        return answer(202, { nudged: event.jobIds });
      });
    },
  });
}

/** The body as sent, or why it cannot be read: at most `limit` bytes are ever held. */
async function readBody(request: Request, limit: number): Promise<Buffer | Refusal> {
  const tooLarge: Refusal = {
    status: 413,
    reason: `body larger than ${limit} bytes (MAX_BODY_BYTES)`,
  };
  const declared = request.headers.get("content-length");
  if (declared !== null) {
    if (!/^\d+$/.test(declared)) return { status: 400, reason: "Content-Length is not a number" };
    if (Number(declared) > limit) return tooLarge;
  }
  if (request.body === null) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) {
        await reader.cancel();
        return tooLarge;
      }
      chunks.push(value);
    }
  } catch {
    return { status: 400, reason: "the body could not be read" };
  }
  return Buffer.concat(chunks);
}

interface WebhookEvent {
  /** Distinct plausible job ids named by the event; empty when none. */
  jobIds: string[];
  name: string | undefined;
  /** Why no job id could be read, when none was. */
  unusable: string;
  /** The top-level keys, for spotting a payload shape this code does not know (never values). */
  keys: string[];
}

/**
 * Reads an event tolerantly: LlamaCloud does not document the payload. Every plausible id found
 * under the known keys is taken; one that names no watched job (an event id, say) costs nothing,
 * since only pollers watching an id re-read it.
 */
export function readEvent(body: Buffer): WebhookEvent {
  // A saved configuration's `webhook_output_format` defaults to "string": the event may come as
  // a JSON string holding the JSON object, and its `data` likewise, so each is unwrapped once.
  const payload = unwrap(unwrap(body.toString("utf8")));
  if (payload === NOT_JSON) return none("the body is not JSON");
  if (!isRecord(payload)) return none("the body is not a JSON object");
  const data = unwrap(payload.data);
  const places = isRecord(data) ? [payload, data] : [payload];
  const jobIds = new Set<string>();
  let name: string | undefined;
  for (const place of places) {
    for (const idKey of ID_KEYS) {
      const value = place[idKey];
      if (typeof value === "string" && isPlausibleJobId(value)) jobIds.add(value);
    }
    for (const eventKey of EVENT_KEYS) {
      const value = place[eventKey];
      if (name === undefined && typeof value === "string") name = value.slice(0, 64);
    }
  }
  return {
    jobIds: [...jobIds],
    name,
    unusable: "no job id (job_id, jobId or id, at the top level or under data)",
    keys: Object.keys(payload)
      .slice(0, 20)
      .map((key) => key.slice(0, 40)),
  };
}

const NOT_JSON = Symbol("not JSON");

/** A string parsed as JSON (NOT_JSON when it is not); anything else as it is. */
function unwrap(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return JSON.parse(value);
  } catch {
    return NOT_JSON;
  }
}

function none(unusable: string): WebhookEvent {
  return { jobIds: [], name: undefined, unusable, keys: [] };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
