import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { restListing, type Stack, type StackOptions, startStack } from "./support/stack.js";
import { sendOver, TRANSPORTS, type Transport } from "./support/transports.js";

/**
 * A document may hold several operations; `operationName` says which one runs. graphql-jit keeps
 * one compiled query per document, so every path into execution must still run the operation
 * named, whichever one ran first (src/execution.ts).
 */

const TWO_OPERATIONS = `query A { __typename }
query B { parseJobs(first: 2) { edges { node { id } } } }`;

/** Sends `query` naming `operationName` over one transport; returns status and body. */
async function send(
  stack: Stack,
  transport: Transport,
  operationName: string,
  query = TWO_OPERATIONS,
  variables?: Record<string, unknown>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const request = { kind: "params" as const, query, operationName, variables };
  const { status, text } = await sendOver(stack.gatewayUrl, transport, request);
  return { status, body: JSON.parse(text) as Record<string, unknown> };
}

function stackFor(transport: Transport, config: StackOptions["config"] = {}): Promise<Stack> {
  return startStack({ config: { directPost: transport !== "POST via Yoga", ...config } });
}

const ORDERS = [
  ["A", "B", "A", "B"],
  ["B", "A", "B", "A"],
];

/** Runs A and B in `order` on a fresh gateway and checks each answer is its own operation's. */
async function runInOrder(stack: Stack, transport: Transport, order: string[]): Promise<void> {
  const newest = (await restListing(stack.demo))
    .slice(0, 2)
    .map((job) => ({ node: { id: job.id } }));
  stack.demo.reset();
  for (const name of order) {
    const { status, body } = await send(stack, transport, name);
    expect(status, `${name}: ${JSON.stringify(body)}`).toBe(200);
    expect(body, `operation ${name} of ${order.join(",")}`).toEqual(
      name === "A" ? { data: { __typename: "Query" } } : { data: { parseJobs: { edges: newest } } },
    );
  }
}

describe("the operation named is the operation that runs", () => {
  for (const transport of TRANSPORTS) {
    for (const order of ORDERS) {
      it(`${transport}, ${order.join(", ")}`, async () => {
        const stack = await stackFor(transport);
        try {
          await runInOrder(stack, transport, order);
          // A needs no upstream call; each B needs its own (nothing is cached by default).
          expect(stack.demo.listCalls()).toBe(2);
        } finally {
          await stack.close();
        }
      });
    }
  }

  it("with the response cache on: each operation is cached under its own name", async () => {
    for (const order of ORDERS) {
      for (const transport of TRANSPORTS) {
        // The newest jobs are PENDING and RUNNING: their answers live the active TTL.
        const stack = await stackFor(transport, {
          responseCacheTtlMs: 30_000,
          responseCacheActiveTtlMs: 30_000,
        });
        try {
          await runInOrder(stack, transport, order);
          // The second B is answered from the cache.
          expect(stack.demo.listCalls(), `${transport}, ${order.join(", ")}`).toBe(1);
        } finally {
          await stack.close();
        }
      }
    }
  });

  it("with shared executions: A and B in flight together each get their own answer", async () => {
    const stack = await stackFor("POST direct", { deduplicateUpstream: true });
    try {
      // Slow upstream answers keep every B in flight while the others arrive.
      stack.demo.inject({ delayMs: 50, times: 10 });
      const names = ["A", "B", "A", "B", "B", "A"];
      const answers = await Promise.all(names.map((name) => send(stack, "POST direct", name)));
      for (const [i, name] of names.entries()) {
        const data = answers[i]?.body.data as Record<string, unknown>;
        expect(Object.keys(data), `answer ${i} (${name})`).toEqual([
          name === "A" ? "__typename" : "parseJobs",
        ]);
      }
      // The three Bs shared one execution, hence one upstream call.
      expect(stack.demo.listCalls()).toBe(1);
    } finally {
      await stack.close();
    }
  });
});

describe("the cost limit prices the operation that runs", () => {
  // A is one page; B is four. With first: 1, B costs 4 × 51 = 204; with first: 100, A costs 150
  // and B 600. The limit of 300 lets B run only with small pages.
  const PRICED = `query A($n: Int) { parseJobs(first: $n) { totalCount } }
query B($n: Int) {
  a: parseJobs(first: $n) { totalCount }
  b: parseJobs(first: $n, filter: { status: COMPLETED }) { totalCount }
  c: parseJobs(first: $n, filter: { status: FAILED }) { totalCount }
  d: parseJobs(first: $n, filter: { status: RUNNING }) { totalCount }
}`;
  const limits = { ...loadConfig({}).limits, maxCost: 300 };

  for (const transport of TRANSPORTS) {
    it(`${transport}: a cheap B, then A with big pages, runs A; B with big pages is refused`, async () => {
      const stack = await stackFor(transport, { limits });
      try {
        const cheapB = await send(stack, transport, "B", PRICED, { n: 1 });
        expect(Object.keys(cheapB.body.data as object)).toEqual(["a", "b", "c", "d"]);
        // Priced as A (150), so it must run as A: one page of 100, not four.
        const bigA = await send(stack, transport, "A", PRICED, { n: 100 });
        expect(bigA.body.errors).toBeUndefined();
        expect(Object.keys(bigA.body.data as object)).toEqual(["parseJobs"]);
        const bigB = await send(stack, transport, "B", PRICED, { n: 100 });
        expect(bigB.body.data).toBeUndefined();
        expect(bigB.body.errors).toMatchObject([
          { extensions: { code: "QUERY_TOO_COSTLY", cost: 600, maxCost: 300 } },
        ]);
      } finally {
        await stack.close();
      }
    });
  }
});
