/**
 * An OTLP/HTTP traces receiver for the tests, as a collector would be: `POST /v1/traces` in
 * `http/json` or `http/protobuf` (gzip or not), every span kept in one plain shape, and every body
 * kept as it came, to look for what must never be exported.
 */

import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

export type AttributeValue = string | number | boolean | AttributeValue[] | undefined;
export type Attributes = Record<string, AttributeValue>;

/** One exported span; ids in lowercase hex, `kind` as OTLP numbers it (2 server, 3 client). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  kind: number;
  attributes: Attributes;
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message: string | undefined };
  links: Array<{ traceId: string; spanId: string }>;
  resource: Attributes;
}

export const SERVER = 2;
export const CLIENT = 3;

export interface OtlpReceiver {
  /** The base URL, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it (`/v1/traces` is appended). */
  url: string;
  readonly spans: ReceivedSpan[];
  /** Each export request's body as text (protobuf's strings are UTF-8 within it), and headers. */
  readonly exports: Array<{ body: string; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

/** A caller's W3C trace context: a fresh trace id and parent span id, and their `traceparent`. */
export function callerTrace() {
  const traceId = randomBytes(16).toString("hex");
  const parentId = randomBytes(8).toString("hex");
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
}

/** The one span of `spans` that `where` picks; throws naming how many there were otherwise. */
export function onlySpan(spans: ReceivedSpan[], where: (span: ReceivedSpan) => boolean) {
  const found = spans.filter(where);
  if (found.length !== 1) throw new Error(`expected one such span, found ${found.length}`);
  return found[0] as ReceivedSpan;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const exports: OtlpReceiver["exports"] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let body = Buffer.concat(chunks);
      if (req.headers["content-encoding"] === "gzip") body = gunzipSync(body);
      exports.push({ body: body.toString("utf8"), headers: req.headers });
      const json = req.headers["content-type"]?.startsWith("application/json") ?? false;
      if (req.method !== "POST" || req.url !== "/v1/traces") {
        res.writeHead(404).end();
        return;
      }
      spans.push(...(json ? fromJson(JSON.parse(body.toString("utf8"))) : fromProtobuf(body)));
      res.writeHead(200, { "content-type": json ? "application/json" : "application/x-protobuf" });
      res.end(json ? "{}" : "");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    exports,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// --- http/json: ids come as hex, enums and 64-bit integers as numbers or strings ---

type Json = Record<string, unknown>;
const list = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);

function fromJson(request: Json): ReceivedSpan[] {
  return list(request.resourceSpans).flatMap((resourceSpans) => {
    const resource = jsonAttributes((resourceSpans.resource as Json | undefined)?.attributes);
    return list(resourceSpans.scopeSpans).flatMap((scope) =>
      list(scope.spans).map((span) => {
        const status = (span.status ?? {}) as Json;
        return {
          traceId: String(span.traceId),
          spanId: String(span.spanId),
          parentSpanId: span.parentSpanId ? String(span.parentSpanId) : undefined,
          name: String(span.name),
          kind: Number(span.kind),
          attributes: jsonAttributes(span.attributes),
          status: { code: Number(status.code ?? 0), message: status.message as string | undefined },
          links: list(span.links).map((link) => ({
            traceId: String(link.traceId),
            spanId: String(link.spanId),
          })),
          resource,
        };
      }),
    );
  });
}

function jsonAttributes(value: unknown): Attributes {
  return Object.fromEntries(list(value).map((kv) => [String(kv.key), jsonValue(kv.value)]));
}

function jsonValue(value: unknown): AttributeValue {
  const any = (value ?? {}) as Json;
  if ("stringValue" in any) return String(any.stringValue);
  if ("boolValue" in any) return Boolean(any.boolValue);
  if ("intValue" in any) return Number(any.intValue);
  if ("doubleValue" in any) return Number(any.doubleValue);
  if ("arrayValue" in any) return list((any.arrayValue as Json).values).map(jsonValue);
  return undefined;
}

// --- http/protobuf: just enough of the wire format for ExportTraceServiceRequest ---

/** A message's fields by number, in order: varints as bigint, everything else as bytes. */
function fields(bytes: Uint8Array): Map<number, Array<bigint | Uint8Array>> {
  const found = new Map<number, Array<bigint | Uint8Array>>();
  let at = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++] ?? 0;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  const take = (length: number) => {
    const start = at;
    at += length;
    return bytes.subarray(start, at);
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const wire = key & 7;
    const value =
      wire === 0 ? varint() : wire === 1 ? take(8) : wire === 5 ? take(4) : take(Number(varint()));
    found.set(key >>> 3, [...(found.get(key >>> 3) ?? []), value]);
  }
  return found;
}

const bytesOf = (message: Map<number, Array<bigint | Uint8Array>>, field: number) =>
  (message.get(field) ?? []).filter((value): value is Uint8Array => value instanceof Uint8Array);
const first = (message: Map<number, Array<bigint | Uint8Array>>, field: number) =>
  bytesOf(message, field)[0];
const text = (value: Uint8Array | undefined) => Buffer.from(value ?? []).toString("utf8");
const hex = (value: Uint8Array | undefined) => Buffer.from(value ?? []).toString("hex");
const number = (message: Map<number, Array<bigint | Uint8Array>>, field: number) =>
  Number(message.get(field)?.find((value) => typeof value === "bigint") ?? 0n);

function fromProtobuf(body: Uint8Array): ReceivedSpan[] {
  return bytesOf(fields(body), 1).flatMap((resourceSpansBytes) => {
    const resourceSpans = fields(resourceSpansBytes);
    const resource = protoAttributes(fields(first(resourceSpans, 1) ?? new Uint8Array()), 1);
    return bytesOf(resourceSpans, 2).flatMap((scope) =>
      bytesOf(fields(scope), 2).map((spanBytes) => {
        const span = fields(spanBytes);
        const status = fields(first(span, 15) ?? new Uint8Array());
        const parent = hex(first(span, 4));
        return {
          traceId: hex(first(span, 1)),
          spanId: hex(first(span, 2)),
          parentSpanId: parent === "" ? undefined : parent,
          name: text(first(span, 5)),
          kind: number(span, 6),
          attributes: protoAttributes(span, 9),
          status: { code: number(status, 3), message: text(first(status, 2)) || undefined },
          links: bytesOf(span, 13).map((linkBytes) => {
            const link = fields(linkBytes);
            return { traceId: hex(first(link, 1)), spanId: hex(first(link, 2)) };
          }),
          resource,
        };
      }),
    );
  });
}

function protoAttributes(message: Map<number, Array<bigint | Uint8Array>>, field: number) {
  const attributes: Attributes = {};
  for (const kvBytes of bytesOf(message, field)) {
    const kv = fields(kvBytes);
    attributes[text(first(kv, 1))] = protoValue(fields(first(kv, 2) ?? new Uint8Array()));
  }
  return attributes;
}

function protoValue(any: Map<number, Array<bigint | Uint8Array>>): AttributeValue {
  if (any.has(1)) return text(first(any, 1));
  if (any.has(2)) return number(any, 2) === 1;
  if (any.has(3)) return number(any, 3);
  if (any.has(4)) return Buffer.from(first(any, 4) ?? new Uint8Array(8)).readDoubleLE(0);
  if (any.has(5)) {
    return bytesOf(fields(first(any, 5) ?? new Uint8Array()), 1).map((value) =>
      protoValue(fields(value)),
    );
  }
  return undefined;
}
