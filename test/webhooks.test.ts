/**
 * Issue 17, webhooks: `POST /webhooks/llamacloud` over real HTTP, with the demo upstream counting
 * every call. The poll ticks once a minute here, so any change a subscriber sees within the test
 * came from a webhook's nudge; the poller tags those reads `live-nudge-…` in `x-request-id`.
 */
import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../src/config.js";
import {
  callsOf,
  counter,
  demoJobs,
  idsOf,
  move,
  stateOf,
  takeStates,
  watch,
} from "./support/live.js";
import { capturingLogger } from "./support/log-lines.js";
import { type Stack, startStack } from "./support/stack.js";
import {
  deliver as deliverTo,
  type EventBody,
  event,
  MARKER,
  WEBHOOK_SECRET as SECRET,
  sign,
  watchNew,
} from "./support/webhooks.js";

const OTHER_KEY = "llx-other-Bn4Wq9Ct2Hs6";

let stack: Stack;
let lines: string[];
let path: URL;

const deliver = (body: EventBody, headers?: Record<string, string>, method?: string) =>
  deliverTo(path, body, headers, method);
const webhooks = (result: string) => counter(stack, "webhook_events_total", { result });

beforeAll(async () => {
  const captured = capturingLogger("debug");
  lines = captured.lines;
  stack = await startStack({
    logger: captured.logger,
    config: { live: { ...loadConfig({}).live, webhookSecret: SECRET, statusPollMs: 60_000 } },
  });
  path = new URL("/webhooks/llamacloud", stack.gatewayUrl);
});

afterAll(() => stack.close());
afterEach(() => vi.restoreAllMocks());

describe("POST /webhooks/llamacloud", () => {
  it("keeps the direct path on: the hook answers its own path only", () => {
    expect(lines.some((line) => line.includes("direct path off"))).toBe(false);
  });

  it("pushes a signed event's change to the job's watchers long before the next tick", async () => {
    const { id, subscription } = await watchNew(stack, "hook-push");
    const before = callsOf(stack, "live-nudge").length;
    const accepted = await webhooks("accepted");

    move(stack, id, "RUNNING");
    const answer = await deliver(event(id));
    expect(answer.status).toBe(202);
    expect(JSON.parse(answer.text)).toEqual({ nudged: [id] });
    expect(stateOf(await subscription.take(10_000))).toBe(`${id} RUNNING`);
    const calls = callsOf(stack, "live-nudge").slice(before);
    expect(calls.map((call) => call.query.getAll("job_ids"))).toEqual([[id]]);
    expect(await webhooks("accepted")).toBe(accepted + 1);
    subscription.close();
  });

  it("refuses a missing, malformed or wrong signature with 401, and does nothing else", async () => {
    const { id, subscription } = await watchNew(stack, "hook-refused");
    const nudge = vi.spyOn(stack.runtime.live, "nudge");
    const calls = stack.demo.listCalls();
    const refused = await webhooks("refused");
    const logged = lines.length;

    const body = event(id);
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    const hex = sign(body).slice("sha256=".length);
    const bad: Array<Record<string, string>> = [
      { "lc-signature": "" },
      { "lc-signature": hex },
      { "lc-signature": `sha1=${hex.slice(0, 40)}` },
      { "lc-signature": `sha256=${hex.slice(0, 62)}` },
      { "lc-signature": `sha256=${"z".repeat(64)}` },
      { "lc-signature": sign(body, `${SECRET}-rotated`) },
      // The same JSON, other bytes: a signature holds for the bytes it was made over only.
      { "lc-signature": sign(pretty) },
    ];
    for (const headers of bad) expect((await deliver(body, headers)).status).toBe(401);
    const noHeader = await fetch(path, { method: "POST", body });
    expect(noHeader.status).toBe(401);
    expect(await noHeader.json()).toEqual({ error: "missing LC-Signature header" });

    expect(nudge).not.toHaveBeenCalled();
    expect(stack.demo.listCalls()).toBe(calls);
    expect(await webhooks("refused")).toBe(refused + bad.length + 1);
    const refusals = lines.slice(logged).filter((line) => line.includes('"webhook refused"'));
    expect(refusals).toHaveLength(bad.length + 1);
    for (const line of refusals) {
      expect(JSON.parse(line)).toMatchObject({ level: 40, status: 401 });
      for (const secretOrBody of [SECRET, MARKER, id, hex])
        expect(line).not.toContain(secretOrBody);
    }
    subscription.close();
  });

  it("verifies the bytes as sent: whitespace, key order and UTF-8 sign as they are", async () => {
    const id = "pjb-bytes-1";
    const bodies = [
      `{"job_id":"${id}","event":"parse.success"}`,
      `{\n  "event" : "parse.success",\n\t"job_id": "${id}"\n}\n`,
      `  {"name": "Geschäftsbericht – 名前", "job_id": "${id}"}`,
      new Uint8Array(Buffer.from(`{"job_id":"${id}","note":"\u00e9"}`, "latin1")), // not UTF-8
    ];
    for (const body of bodies) {
      const answer = await deliver(body);
      expect(answer.status).toBe(202);
      expect(JSON.parse(answer.text)).toEqual({ nudged: [id] });
    }
  });

  it.each([
    ["job_id at the top level", { event: "parse.success", job_id: "pjb-shape" }],
    ["jobId at the top level", { jobId: "pjb-shape" }],
    ["id at the top level", { type: "parse.error", id: "pjb-shape" }],
    ["job_id under data", { event_type: "parse.success", data: { job_id: "pjb-shape" } }],
    ["jobId under data", { data: { jobId: "pjb-shape", status: "SUCCESS" } }],
    ["id under data", { data: { id: "pjb-shape" } }],
    ["data as a JSON string", { data: JSON.stringify({ job_id: "pjb-shape" }) }],
    ["the event as a JSON string", JSON.stringify({ job_id: "pjb-shape" })],
  ])("reads the job id from %s", async (_, payload) => {
    const nudge = vi.spyOn(stack.runtime.live, "nudge");
    const answer = await deliver(JSON.stringify(payload));
    expect(answer.status).toBe(202);
    expect(nudge.mock.calls).toEqual([[["pjb-shape"]]]);
  });

  it("answers 202 to a signed event it cannot use, and nudges nothing", async () => {
    const nudge = vi.spyOn(stack.runtime.live, "nudge");
    const ignored = await webhooks("ignored");
    for (const body of ["not json", "[1,2]", '{"event":"parse.success"}', '{"job_id":"a b/c"}']) {
      const answer = await deliver(body);
      expect(answer.status).toBe(202);
      expect(JSON.parse(answer.text)).toMatchObject({ nudged: [] });
    }
    expect(nudge).not.toHaveBeenCalled();
    expect(await webhooks("ignored")).toBe(ignored + 4);
  });

  it("costs one upstream call per poller for events a few ms apart", async () => {
    const jobs = demoJobs("hook-burst", 3);
    stack.demo.addJobs(jobs);
    stack.demo.addJobs(demoJobs("hook-burst", 3), OTHER_KEY);
    const ids = idsOf(jobs);
    // Two subscribers under the server's key share its poller; a caller with its own key has its own.
    const first = await watch(stack, ids);
    const second = await watch(stack, ids.slice(0, 1));
    const theirs = await watch(stack, ids, { authorization: `Bearer ${OTHER_KEY}` });
    await takeStates(first, 3);
    await takeStates(second, 1);
    await takeStates(theirs, 3);
    const before = callsOf(stack, "live-nudge").length;
    for (const id of ids) {
      move(stack, id, "RUNNING");
      move(stack, id, "RUNNING", OTHER_KEY);
    }
    const bodies = ids.map(event);
    const answers = await Promise.all(bodies.map((body) => deliver(body)));
    expect(answers.map((answer) => answer.status)).toEqual([202, 202, 202]);

    const running = ids.map((id) => `${id} RUNNING`);
    expect(await takeStates(first, 3)).toEqual(running);
    expect(await takeStates(second, 1)).toEqual(running.slice(0, 1));
    expect(await takeStates(theirs, 3)).toEqual(running);
    const calls = callsOf(stack, "live-nudge").slice(before);
    expect(calls.map((call) => call.authorization).sort()).toEqual(
      [`Bearer ${OTHER_KEY}`, `Bearer ${stack.config.apiKey}`].sort(),
    );
    for (const call of calls) expect(call.query.getAll("job_ids").sort()).toEqual([...ids].sort());
    for (const subscription of [first, second, theirs]) subscription.close();
  });

  it("makes no call for a job nobody watches", async () => {
    const { id: watched, subscription } = await watchNew(stack, "hook-watched");
    const others = demoJobs("hook-unwatched", 1);
    stack.demo.addJobs(others);
    const [unwatched] = idsOf(others) as [string];
    const before = callsOf(stack, "live-nudge").length;
    move(stack, unwatched, "RUNNING");
    expect((await deliver(event(unwatched))).status).toBe(202);
    // A watched job's change after it: once that arrives, any read of the first would have gone.
    move(stack, watched, "RUNNING");
    expect((await deliver(event(watched))).status).toBe(202);
    expect(stateOf(await subscription.take(10_000))).toBe(`${watched} RUNNING`);
    const calls = callsOf(stack, "live-nudge").slice(before);
    expect(calls.map((call) => call.query.getAll("job_ids"))).toEqual([[watched]]);
    subscription.close();
  });

  it("refuses a body over MAX_BODY_BYTES with 413, declared or chunked", async () => {
    const big = JSON.stringify({ job_id: "pjb-big", pad: "x".repeat(stack.config.maxBodyBytes) });
    expect((await deliver(big)).status).toBe(413);
    const chunked = await fetch(path, {
      method: "POST",
      headers: { "lc-signature": sign(big) },
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(chunked.status).toBe(413);
  });

  it("takes POST only: 405 with Allow: POST", async () => {
    for (const method of ["GET", "PUT", "DELETE"]) {
      expect(await deliver("{}", {}, method)).toMatchObject({ status: 405, allow: "POST" });
    }
  });

  it("runs the README's curl example", async () => {
    const readme = await readFile(new URL("../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("\n### Webhooks\n"));
    const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1];
    if (script === undefined) throw new Error("no sh block under ### Webhooks in README.md");
    const nudge = vi.spyOn(stack.runtime.live, "nudge");
    expect(script).toContain("http://localhost:4000/webhooks/llamacloud");
    const pointed = script.replace("http://localhost:4000", path.origin);
    const { stdout } = await promisify(execFile)("bash", ["-c", pointed], {
      env: { ...process.env, LLAMA_CLOUD_WEBHOOK_SECRET: SECRET },
    });
    expect(stdout).toMatch(/^HTTP\/1\.1 202/);
    expect(stdout).toContain('{"nudged":["pjb-live-demo-1"]}');
    expect(nudge).toHaveBeenCalledTimes(1);
  });
});

describe("without LLAMA_CLOUD_WEBHOOK_SECRET", () => {
  it("has no webhook route: 404 as any unknown path", async () => {
    const plain = await startStack();
    try {
      const url = new URL("/webhooks/llamacloud", plain.gatewayUrl);
      const body = event("pjb-off");
      const headers = { "lc-signature": sign(body) };
      expect((await fetch(url, { method: "POST", headers, body })).status).toBe(404);
      expect((await fetch(url)).status).toBe(404);
    } finally {
      await plain.close();
    }
  });
});
