/**
 * Clients of GraphQL over WebSocket for the tests: graphql-ws's own client (what Apollo Client's
 * `GraphQLWsLink` and urql wrap) on the `ws` implementation, and a raw socket for what a client
 * library would not send (oversized messages, no `connection_init`, another path).
 */
import { type Client, createClient, type SubscribePayload } from "graphql-ws";
import WebSocket from "ws";

/** A result as a `next` message carries it, or an error as the `error` message does. */
export interface WsResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

/** How one operation ended: its `next` results, then `complete` or its `error`. */
export interface WsOutcome<T = Record<string, unknown>> {
  results: Array<WsResult<T>>;
  completed: boolean;
  /** The `error` message's errors (a refusal, a validation error). */
  errors?: WsResult["errors"];
}

/** Every text the client received, to look for what must never be in one. */
export interface WsClient {
  client: Client;
  received: string[];
  /** The socket's close codes, in order. */
  closes: number[];
  /** Runs one operation to its end. */
  run<T = Record<string, unknown>>(payload: SubscribePayload): Promise<WsOutcome<T>>;
  /** Starts one operation; `next` resolves with each result in turn (null on completion). */
  start<T = Record<string, unknown>>(payload: SubscribePayload): WsStream<T>;
  dispose(): Promise<void>;
}

export interface WsStream<T> {
  next(): Promise<WsResult<T> | null>;
  /** Resolves when the operation has ended, as `run` would. */
  readonly outcome: Promise<WsOutcome<T>>;
  /** Leaves, as a client's unsubscribe does (`complete` sent). */
  stop(): void;
}

/** A graphql-ws client of the gateway, sending `connectionParams` in `connection_init`. */
export function wsClient(url: string, connectionParams: Record<string, unknown> = {}): WsClient {
  const received: string[] = [];
  const closes: number[] = [];
  const client = createClient({
    url,
    webSocketImpl: WebSocket,
    connectionParams,
    // A test sees each close as it is, never hidden by a reconnection.
    retryAttempts: 0,
    on: {
      message: (message) => received.push(JSON.stringify(message)),
      closed: (event) => closes.push((event as { code: number }).code),
    },
  });
  const start = <T>(payload: SubscribePayload): WsStream<T> => {
    const outcome: WsOutcome<T> = { results: [], completed: false };
    const queue: Array<WsResult<T> | null> = [];
    let wake: (() => void) | undefined;
    let ended!: (value: WsOutcome<T>) => void;
    const done = new Promise<WsOutcome<T>>((resolve) => {
      ended = resolve;
    });
    const push = (item: WsResult<T> | null) => {
      queue.push(item);
      wake?.();
    };
    const stop = client.subscribe<T>(payload, {
      next: (result) => {
        outcome.results.push(result as WsResult<T>);
        push(result as WsResult<T>);
      },
      error: (error) => {
        // An `error` message arrives as its errors; a close as the close event.
        outcome.errors = Array.isArray(error)
          ? error
          : [{ message: `closed: ${(error as { code?: number }).code}` }];
        push(null);
        ended(outcome);
      },
      complete: () => {
        if (outcome.errors === undefined) outcome.completed = true;
        push(null);
        ended(outcome);
      },
    });
    return {
      async next() {
        while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        return queue.shift() ?? null;
      },
      outcome: done,
      stop,
    };
  };
  return {
    client,
    received,
    closes,
    start,
    run: <T>(payload: SubscribePayload) => start<T>(payload).outcome,
    dispose: async () => {
      await client.dispose();
    },
  };
}

/** A socket speaking the protocol by hand. */
export interface RawSocket {
  socket: WebSocket;
  /** Parsed messages received so far. */
  messages: Array<Record<string, unknown>>;
  send(message: unknown): void;
  /** The next message not yet taken. */
  take(): Promise<Record<string, unknown>>;
  /** The close code and reason, once closed. */
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens a raw `graphql-transport-ws` socket; rejects with the server's refusal, if any. */
export async function rawSocket(url: string, headers: Record<string, string> = {}) {
  const socket = new WebSocket(url, "graphql-transport-ws", { headers });
  const messages: Array<Record<string, unknown>> = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  socket.on("message", (data) => {
    messages.push(JSON.parse(String(data)) as Record<string, unknown>);
    wake?.();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.once("close", (code, reason) => {
      resolve({ code, reason: reason.toString() });
      wake?.();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("unexpected-response", (_request, response) =>
      reject(new Error(`refused: ${response.statusCode}`)),
    );
    socket.once("error", reject);
  });
  const raw: RawSocket = {
    socket,
    messages,
    send: (message) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    async take() {
      while (messages.length <= taken) {
        if (socket.readyState === WebSocket.CLOSED) throw new Error("closed before a message");
        await new Promise<void>((resolve) => (wake = resolve));
      }
      return messages[taken++] as Record<string, unknown>;
    },
    closed,
  };
  return raw;
}
