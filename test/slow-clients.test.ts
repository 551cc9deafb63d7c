import { connect, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import type { Config } from "../src/config.js";
import { type Stack, startStack } from "./support/stack.js";

const QUERY = JSON.stringify({ query: "{ __typename }" });

let stack: Stack | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await stack?.close();
  stack = undefined;
});

async function gateway(config: Partial<Config>): Promise<{ host: string; port: number }> {
  stack = await startStack({ config });
  const url = new URL(stack.gatewayUrl);
  return { host: url.hostname, port: Number(url.port) };
}

/** A raw client connection, and what became of it: the bytes the server sent, when it closed. */
interface RawConnection {
  socket: Socket;
  received(): string;
  closed: Promise<{ afterMs: number }>;
}

async function open(address: { host: string; port: number }): Promise<RawConnection> {
  const socket = connect(address.port, address.host);
  sockets.push(socket);
  let received = "";
  socket.on("data", (chunk: Buffer) => {
    received += chunk.toString();
  });
  // A reset counts as closed too: what matters here is that the server let go.
  socket.on("error", () => {});
  const startedAt = performance.now();
  const closed = new Promise<{ afterMs: number }>((resolve) =>
    socket.once("close", () => resolve({ afterMs: performance.now() - startedAt })),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received: () => received, closed };
}

/** Writes `body` one byte every 200 ms, stopping early once the server has closed the connection. */
async function dribble(connection: RawConnection, body: string): Promise<void> {
  for (const byte of body) {
    if (connection.socket.destroyed || connection.socket.writableEnded) return;
    connection.socket.write(byte);
    await sleep(200);
  }
}

function postHead(extra: string): string {
  return `POST /graphql HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\n${extra}\r\n`;
}

describe("slow and idle clients", () => {
  it("cuts a body sent at one byte every 200 ms at REQUEST_BODY_TIMEOUT_MS, on both paths", async () => {
    const address = await gateway({ headersTimeoutMs: 300, requestBodyTimeoutMs: 1000 });
    // 40 bytes at 5 a second would take 8 s: the gateway must not wait for them.
    const body = `${" ".repeat(40 - QUERY.length)}${QUERY}`;
    // With a Content-Length, the direct path reads the body; chunked, Yoga's adapter does.
    const direct = await open(address);
    direct.socket.write(postHead(`Content-Length: ${body.length}\r\n`));
    const chunked = await open(address);
    chunked.socket.write(postHead("Transfer-Encoding: chunked\r\n"));
    chunked.socket.write(`${body.length.toString(16)}\r\n`);
    await Promise.all([dribble(direct, body), dribble(chunked, body)]);
    for (const connection of [direct, chunked]) {
      const { afterMs } = await connection.closed;
      expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(afterMs).toBeLessThan(5000);
    }
  }, 15_000);

  it("closes a connection that sends nothing at HEADERS_TIMEOUT_MS, and one that dribbles headers", async () => {
    const address = await gateway({ headersTimeoutMs: 300, requestBodyTimeoutMs: 1000 });
    const silent = await open(address);
    const slowHeaders = await open(address);
    await dribble(slowHeaders, postHead(`Content-Length: ${QUERY.length}\r\n`));
    for (const connection of [silent, slowHeaders]) {
      const { afterMs } = await connection.closed;
      expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);
      expect(afterMs).toBeLessThan(3000);
    }
  }, 15_000);

  it("closes an idle keep-alive connection at KEEP_ALIVE_TIMEOUT_MS", async () => {
    const address = await gateway({ keepAliveTimeoutMs: 300 });
    const connection = await open(address);
    connection.socket.write(`${postHead(`Content-Length: ${QUERY.length}\r\n`)}${QUERY}`);
    const { afterMs } = await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*"__typename":"Query"/);
    // Node's own default would keep it 5 s.
    expect(afterMs).toBeLessThan(3000);
  }, 15_000);

  it("refuses connections beyond MAX_CONNECTIONS at once, and serves again once some close", async () => {
    const address = await gateway({ maxConnections: 5, keepAliveTimeoutMs: 10_000 });
    // Five keep-alive clients, each answered once: the server has surely counted them all.
    const held: RawConnection[] = [];
    for (let i = 0; i < 5; i++) {
      const connection = await open(address);
      connection.socket.write(`${postHead(`Content-Length: ${QUERY.length}\r\n`)}${QUERY}`);
      while (!connection.received().includes("Query")) await sleep(10);
      held.push(connection);
    }
    const extra = await open(address);
    extra.socket.write(`${postHead(`Content-Length: ${QUERY.length}\r\n`)}${QUERY}`);
    const { afterMs } = await extra.closed;
    expect(extra.received()).toBe("");
    // Long before any timeout of the server's (10 s) could have closed it.
    expect(afterMs).toBeLessThan(2000);
    for (const connection of held) expect(connection.socket.destroyed).toBe(false);

    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
    // The server notices the closes a moment after the client: retry a bounded number of times.
    let answer: Awaited<ReturnType<Stack["query"]>> | undefined;
    for (let attempt = 0; attempt < 40 && answer === undefined; attempt++) {
      answer = await stack?.query("{ __typename }").catch(() => sleep(50).then(() => undefined));
    }
    expect(answer?.data).toEqual({ __typename: "Query" });
  }, 15_000);

  it("serves a request whose body arrives in pieces within the timeouts", async () => {
    const address = await gateway({ headersTimeoutMs: 1000, requestBodyTimeoutMs: 3000 });
    const connection = await open(address);
    connection.socket.write(postHead(`Content-Length: ${QUERY.length}\r\nConnection: close\r\n`));
    const half = Math.floor(QUERY.length / 2);
    await sleep(300);
    connection.socket.write(QUERY.slice(0, half));
    await sleep(300);
    connection.socket.write(QUERY.slice(half));
    await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 [\s\S]*"__typename":"Query"/);
  });
});
