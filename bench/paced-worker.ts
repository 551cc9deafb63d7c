import net from "node:net";
import type { PacedRequest, PacedResult } from "./load.js";

/**
 * A fixed-rate load generator in its own process, for latency below saturation. autocannon
 * records whole milliseconds and waits for each answer before sending again; this one times each
 * request in microseconds, which a 2 ms budget needs, and starts requests on a fixed schedule
 * whatever earlier ones are doing (open loop).
 *
 * It speaks HTTP/1.1 over plain keep-alive sockets with the request's bytes built once: at half of
 * a saturation rate of 10,000 req/s, `http.request` cost this process so much CPU on a two-core
 * machine that its own delays showed up as the targets' p99.
 */
process.once("message", async (message: PacedRequest) => {
  const { target, rate, seconds } = message;
  const url = new URL(target.url);
  const raw = requestBytes(target.method, url, target.headers, target.body);
  const idle: Connection[] = [];
  // Requests due while every connection is busy, by the time they were due.
  const queued: number[] = [];
  const latencies: number[] = [];
  let failures = 0;
  let pending = 0;
  let open = 0;
  let finished: () => void = () => {};

  // A request goes out on an idle connection, on a new one while fewer than MAX_CONNECTIONS are
  // open, or else waits for the next free one. Its latency counts from when it was due either
  // way, so a server that falls behind pays for the wait (no coordinated omission).
  const dispatch = (dueAt: number) => {
    let connection = idle.pop();
    while (connection?.closed) connection = idle.pop();
    if (connection === undefined && open < MAX_CONNECTIONS) {
      open++;
      connection = new Connection(url, settle, () => open--);
    }
    if (connection === undefined) queued.push(dueAt);
    else connection.send(raw, dueAt);
  };
  // An answer frees its connection for the next request; a broken connection is dropped. A
  // request sent on a kept-alive connection that the server had just closed as idle, before any
  // byte of its answer, is sent again, as HTTP clients do for idempotent requests.
  function settle(connection: Connection, answer: Answer, dueAt: number): void {
    if (answer === "stale") {
      dispatch(dueAt);
      return;
    }
    if (answer === 200) latencies.push((performance.now() - dueAt) * 1000);
    else failures++;
    if (answer !== "broken") idle.push(connection);
    if (--pending === 0) finished();
    const next = queued.shift();
    if (next !== undefined) dispatch(next);
  }
  const send = () => {
    pending++;
    dispatch(performance.now());
  };

  const total = Math.round(rate * seconds);
  const begin = performance.now();
  for (let sent = 0; sent < total; ) {
    const due = Math.min(total, Math.floor(((performance.now() - begin) / 1000) * rate) + 1);
    for (; sent < due; sent++) send();
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (pending > 0) await new Promise<void>((resolve) => (finished = resolve));
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  const answer: PacedResult = {
    p50Us: at(0.5),
    p99Us: at(0.99),
    total: latencies.length,
    failures,
  };
  process.send?.(answer, () => process.exit(0));
});

/** The bytes of one HTTP/1.1 request, built once and written for every send. */
function requestBytes(
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string | undefined,
): Buffer {
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`, `host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  return Buffer.from(`${lines.join("\r\n")}\r\n\r\n${body ?? ""}`);
}

/** As many connections as the other clients of the bench hold (autocannon's 20 aside). */
const MAX_CONNECTIONS = 64;
const HEADER_END = Buffer.from("\r\n\r\n");
const CHUNKED_END = Buffer.from("\r\n0\r\n\r\n");

/** An answer's status, or why there was none: broken, or stale (see `settle`). */
type Answer = number | "broken" | "stale";

/**
 * One keep-alive connection with at most one request in flight. It reads just enough of each
 * answer to know its status and where it ends (Content-Length, or the last chunk of a chunked
 * body); a connection that breaks is not reused.
 */
class Connection {
  private readonly socket: net.Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private sentAt = 0;
  private busy = false;
  private answers = 0;
  closed = false;

  constructor(
    url: URL,
    private readonly onAnswer: (connection: Connection, answer: Answer, sentAt: number) => void,
    onClose: () => void,
  ) {
    this.socket = net.connect(Number(url.port), url.hostname);
    this.socket.setNoDelay(true);
    this.socket.on("data", (chunk: Buffer) => this.read(chunk));
    // The close that follows an error is where the request is given up.
    this.socket.on("error", () => {});
    this.socket.on("close", () => {
      this.closed = true;
      onClose();
      if (this.busy) {
        this.busy = false;
        const stale = this.answers > 0 && this.buffered.length === 0;
        this.onAnswer(this, stale ? "stale" : "broken", this.sentAt);
      }
    });
  }

  send(raw: Buffer, sentAt: number): void {
    this.busy = true;
    this.sentAt = sentAt;
    this.socket.write(raw);
  }

  private read(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const headerEnd = this.buffered.indexOf(HEADER_END);
    if (headerEnd === -1) return;
    const head = this.buffered.toString("latin1", 0, headerEnd);
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    const bodyStart = headerEnd + HEADER_END.length;
    let end: number;
    if (length !== null) {
      end = bodyStart + Number(length[1]);
      if (this.buffered.length < end) return;
    } else {
      const last = this.buffered.indexOf(CHUNKED_END, bodyStart - 2);
      if (last === -1) return;
      end = last + CHUNKED_END.length;
    }
    this.buffered = this.buffered.subarray(end);
    this.busy = false;
    this.answers++;
    this.onAnswer(this, status, this.sentAt);
  }
}
