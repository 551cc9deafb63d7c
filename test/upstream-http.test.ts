import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { closeUpstreamConnections, httpGet, TransportError } from "../src/upstream/http.js";

/** A loopback server that answers with `handler` and counts the connections it was opened. */
async function serve(handler: http.RequestListener) {
  const server = http.createServer(handler);
  let connections = 0;
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  servers.push(server);
  return {
    url: (path = "/api/v2/parse?page_size=2") => new URL(`http://127.0.0.1:${port}${path}`),
    connections: () => connections,
  };
}

const servers: http.Server[] = [];
afterEach(async () => {
  closeUpstreamConnections();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The error an attempt failed with (the test fails if it succeeded). */
async function failure(attempt: Promise<unknown>): Promise<TransportError> {
  const error = await attempt.then(
    () => expect.unreachable("the attempt succeeded"),
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TransportError);
  return error as TransportError;
}

describe("httpGet", () => {
  it("sends the path, query and headers, and reads status, headers and a body split across writes", async () => {
    let seen: { url?: string; authorization?: string; method?: string } = {};
    const server = await serve((req, res) => {
      seen = { url: req.url, authorization: req.headers.authorization, method: req.method };
      res.writeHead(429, { "retry-after-ms": "30", "content-type": "application/json" });
      // A multi-byte character split between two writes must come out whole.
      const bytes = Buffer.from('{"name":"résumé"}');
      res.write(bytes.subarray(0, 11));
      setTimeout(() => res.end(bytes.subarray(11)), 20);
    });
    const answer = await httpGet(server.url(), { authorization: "Bearer k" }, 5000);
    expect(seen).toEqual({
      url: "/api/v2/parse?page_size=2",
      authorization: "Bearer k",
      method: "GET",
    });
    expect(answer.status).toBe(429);
    expect(answer.headers["retry-after-ms"]).toBe("30");
    expect(answer.body).toBe('{"name":"résumé"}');
  });

  it("reuses kept-alive connections for calls one after another", async () => {
    const server = await serve((_, res) => res.end("{}"));
    for (let i = 0; i < 50; i++) expect((await httpGet(server.url(), {}, 5000)).body).toBe("{}");
    // undici frees a connection a tick after its answer ends, so a call made at once from the
    // answer's continuation can open a second one; never more than that.
    expect(server.connections()).toBeLessThanOrEqual(2);
  });

  it("answers 100 concurrent calls over at most 64 connections", async () => {
    const server = await serve((_, res) => setTimeout(() => res.end("ok"), 30));
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => httpGet(server.url(), {}, 5000)),
    );
    expect(answers.every((answer) => answer.body === "ok")).toBe(true);
    expect(server.connections()).toBe(64);
  });

  it("reports a refused connection as a connection failure", async () => {
    const server = await serve((_, res) => res.end());
    const url = server.url();
    await new Promise((resolve) => servers.pop()?.close(resolve));
    const error = await failure(httpGet(url, {}, 5000));
    expect(error.kind).toBe("connection");
    expect(error.message).toBe("connection failed (ECONNREFUSED)");
  });

  it("reports a connection dropped in the middle of the body as a cut-off answer", async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { "content-length": "100" });
      res.write("{");
      setTimeout(() => req.socket.destroy(), 20);
    });
    const error = await failure(httpGet(server.url(), {}, 5000));
    expect(error.kind).toBe("connection");
    expect(error.message).toMatch(/^the answer was cut off \(/);
  });

  it("holds one deadline for the whole attempt, however slowly the body trickles in", async () => {
    const server = await serve((_, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      // A byte every 50 ms: never idle long enough for a per-read timeout to fire.
      const drip = setInterval(() => res.write(" "), 50);
      res.on("close", () => clearInterval(drip));
    });
    const startedAt = performance.now();
    const error = await failure(httpGet(server.url(), {}, 300));
    expect(error).toMatchObject({ kind: "timeout", message: "no answer within 300 ms" });
    expect(performance.now() - startedAt).toBeLessThan(2000);
  });

  it("times out a call still waiting for a free connection, and never sends it late", async () => {
    let received = 0;
    const server = await serve((_, res) => {
      received++;
      setTimeout(() => res.end("slow"), 400);
    });
    // 64 slow calls take every connection; the 65th waits in the queue past its deadline.
    const busy = Array.from({ length: 64 }, () => httpGet(server.url(), {}, 5000));
    const error = await failure(httpGet(server.url(), {}, 100));
    expect(error.kind).toBe("timeout");
    await Promise.all(busy);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(received).toBe(64);
  });

  it("closes kept-alive connections on shutdown, and still works afterwards", async () => {
    const closed: Promise<void>[] = [];
    const server = await serve((req, res) => {
      closed.push(new Promise((resolve) => req.socket.once("close", () => resolve())));
      res.end("{}");
    });
    await httpGet(server.url(), {}, 5000);
    closeUpstreamConnections();
    await Promise.all(closed);
    expect((await httpGet(server.url(), {}, 5000)).body).toBe("{}");
    expect(server.connections()).toBe(2);
  });
});
