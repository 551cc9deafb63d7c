/**
 * The demo's moving jobs (`npm start`) and the README's paste-ready subscription: run as written
 * over SSE, it sees the jobs finish and completes.
 */
import { readFile } from "node:fs/promises";
import { parse, validate } from "graphql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MOVING_JOB_IDS, startDemoMotion } from "../src/demo-upstream/motion.js";
import { schema } from "../src/schema/index.js";
import { LIVE, type Update } from "./support/live.js";
import { subscribeSse } from "./support/sse.js";
import { type Stack, startStack } from "./support/stack.js";

let stack: Stack;
let stop: () => void;

beforeAll(async () => {
  stack = await startStack({ config: { live: LIVE } });
  // 100 ms steps instead of 5 s: a whole round in under a second.
  stop = startDemoMotion(stack.demo, 100);
});

afterAll(async () => {
  stop();
  await stack.close();
});

/** The subscription under the README's "### In GraphiQL". */
async function readmeSubscription(): Promise<string> {
  const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("### In GraphiQL"));
  const quoted = /```graphql\n([\s\S]*?)```/.exec(section)?.[1];
  if (quoted === undefined) throw new Error("no graphql block under ### In GraphiQL");
  return quoted;
}

describe("the demo's live jobs", () => {
  it("are what the README's subscription watches, and it is valid", async () => {
    const document = parse(await readmeSubscription());
    expect(validate(schema, document)).toEqual([]);
    for (const id of MOVING_JOB_IDS) expect(await readmeSubscription()).toContain(`"${id}"`);
  });

  it("move to COMPLETED, COMPLETED and FAILED, and the subscription then completes", async () => {
    const subscription = await subscribeSse<Update>(stack.gatewayUrl, await readmeSubscription());
    const events = await subscription.untilComplete(20_000);
    const last = new Map<string, string>();
    for (const event of events) {
      expect(event.errors).toBeUndefined();
      const job = event.data?.parseJobUpdates;
      if (job) last.set(job.id, job.status);
    }
    expect(Object.fromEntries(last)).toEqual({
      "pjb-live-demo-1": "COMPLETED",
      "pjb-live-demo-2": "COMPLETED",
      "pjb-live-demo-3": "FAILED",
    });
  });
});
