/** Shared pieces of the live job status tests (test/live-*.test.ts). */
import type { DemoJob } from "../../src/demo-upstream/server.js";
import type { LiveConfig } from "../../src/live/config.js";
import { waitFor } from "./spawned.js";
import { type SseResult, type SseSubscription, subscribeSse } from "./sse.js";
import type { Stack } from "./stack.js";

/** Polls every 250 ms, the shortest interval allowed. */
export const LIVE: LiveConfig = {
  statusPollMs: 250,
  maxSubscriptionsPerCaller: 20,
  webhookSecret: undefined,
};

export const WATCH = `subscription Watch($ids: [ID!]!) {
  parseJobUpdates(ids: $ids) { id status updatedAt projectId errorMessage }
}`;

export interface Update {
  parseJobUpdates: {
    id: string;
    status: string;
    updatedAt: string | null;
    projectId: string;
    errorMessage: string | null;
  };
}

let clock = Date.UTC(2026, 6, 1);

/** A fresh instant for each change, so every change moves `updatedAt`. */
export function nextInstant(): string {
  clock += 1000;
  return new Date(clock).toISOString();
}

/** `count` jobs `pjb-<prefix>-<i>`, created now, with `status` (PENDING unless told). */
export function demoJobs(
  prefix: string,
  count: number,
  { status = "PENDING", projectId = "prj-live" }: { status?: string; projectId?: string } = {},
): DemoJob[] {
  return Array.from({ length: count }, (_, index) => ({
    json: {
      id: `pjb-${prefix}-${index}`,
      project_id: projectId,
      status,
      created_at: nextInstant(),
      updated_at: status === "PENDING" ? null : nextInstant(),
    },
    organizationId: "org-live",
  }));
}

/** The ids of jobs. */
export const idsOf = (jobs: readonly DemoJob[]): string[] => jobs.map((job) => String(job.json.id));

/** Moves a job on in the demo upstream, as LlamaCloud would. */
export function move(stack: Stack, id: string, status: string, key?: string): void {
  const changes: Record<string, unknown> = { status, updated_at: nextInstant() };
  if (status === "FAILED") changes.error_message = "Could not parse page 1";
  if (!stack.demo.updateJob(id, changes, key)) throw new Error(`no job ${id} to move`);
}

/** Subscribes to `parseJobUpdates` over SSE. */
export function watch(
  stack: Stack,
  ids: readonly string[],
  headers: Record<string, string> = {},
): Promise<SseSubscription<Update>> {
  return subscribeSse<Update>(stack.gatewayUrl, WATCH, { ids }, headers);
}

/** Takes `count` events and answers them as `id status` lines, sorted. */
export async function takeStates(
  subscription: SseSubscription<Update>,
  count: number,
): Promise<string[]> {
  const states: string[] = [];
  for (let index = 0; index < count; index++) states.push(stateOf(await subscription.take()));
  return states.sort();
}

/** `id status` of one event; fails on an error, or on completion. */
export function stateOf(event: SseResult<Update> | null): string {
  if (event === null) throw new Error("completed where a job was expected");
  const job = event.data?.parseJobUpdates;
  if (job === undefined) throw new Error(`no job in ${JSON.stringify(event)}`);
  return `${job.id} ${job.status}`;
}

/** A counter's value in the gateway's metrics (summed over its labels, or for one label set). */
export async function counter(
  stack: Stack,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = stack.runtime.metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values
    .filter((value) => Object.entries(labels).every(([k, v]) => value.labels[k] === v))
    .reduce((sum, value) => sum + value.value, 0);
}

/** Waits until the poll-tick counter has moved on by `ticks`. */
export async function waitForTicks(stack: Stack, ticks: number): Promise<void> {
  const start = await counter(stack, "live_poll_ticks_total");
  let now = start;
  const deadline = Date.now() + 20_000;
  while (now < start + ticks) {
    if (Date.now() > deadline) throw new Error(`waited for ${ticks} ticks, saw ${now - start}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = await counter(stack, "live_poll_ticks_total");
  }
}

/** Waits until the live status holds exactly this many subscriptions (and, at 0, no poller). */
export function waitForSubscriptions(stack: Stack, count: number): Promise<void> {
  return waitFor(() => {
    const stats = stack.runtime.live.stats();
    return stats.subscriptions === count && (count > 0 || stats.pollers === 0);
  }, `${count} open subscriptions`);
}

/** The demo upstream's list calls so far whose request id starts with `prefix`. */
export function callsOf(stack: Stack, prefix: string) {
  return stack.demo.requests.filter(
    (request) => request.path === "/api/v2/parse" && request.requestId?.startsWith(prefix),
  );
}
