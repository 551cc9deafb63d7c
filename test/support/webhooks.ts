/** LlamaCloud's side of a webhook, for test/webhooks.test.ts: signing and delivering events. */
import { createHmac } from "node:crypto";
import { expect } from "vitest";
import { demoJobs, idsOf, takeStates, type Update, watch } from "./live.js";
import type { SseSubscription } from "./sse.js";
import type { Stack } from "./stack.js";

/** The secret the gateway under test is configured with. */
export const WEBHOOK_SECRET = "whsec-test-Vq3Lp8Xz2Kd7Rm5T";
/** In every event's body: no log line may quote it. */
export const MARKER = "marker-Zt8Qv3";

/** A body as sent: text, or bytes (which need not be UTF-8). */
export type EventBody = string | Uint8Array<ArrayBuffer>;

/** `LC-Signature` for exactly these bytes, as LlamaCloud computes it. */
export function sign(body: string | Uint8Array, secret = WEBHOOK_SECRET): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** A compact event naming one job, with the marker. */
export function event(jobId: string): string {
  return JSON.stringify({ event: "parse.running", job_id: jobId, MARKER });
}

/** Posts `body` to `url`, signed over exactly these bytes unless `headers` say otherwise. */
export async function deliver(
  url: URL,
  body: EventBody,
  headers: Record<string, string> = {},
  method = "POST",
): Promise<{ status: number; allow: string | null; text: string }> {
  const response = await fetch(url, {
    method,
    headers: { "content-type": "application/json", "lc-signature": sign(body), ...headers },
    body: method === "GET" || method === "HEAD" ? undefined : body,
  });
  return {
    status: response.status,
    allow: response.headers.get("allow"),
    text: await response.text(),
  };
}

/** A new PENDING job in the demo, watched over SSE past its first state. */
export async function watchNew(
  stack: Stack,
  prefix: string,
): Promise<{ id: string; subscription: SseSubscription<Update> }> {
  const jobs = demoJobs(prefix, 1);
  stack.demo.addJobs(jobs);
  const [id] = idsOf(jobs) as [string];
  const subscription = await watch(stack, [id]);
  expect(await takeStates(subscription, 1)).toEqual([`${id} PENDING`]);
  return { id, subscription };
}
