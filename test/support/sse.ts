/**
 * A small client of GraphQL over Server-Sent Events as Yoga speaks it ("distinct connections
 * mode"): one POST per subscription with `accept: text/event-stream`, answered with `event: next`
 * / `data: <result>` blocks and a last `event: complete`. Comment lines (`:` pings) are skipped.
 */

/** A GraphQL result as one `next` event carries it. */
export interface SseResult<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{
    message: string;
    path?: Array<string | number>;
    extensions?: Record<string, unknown>;
  }>;
}

export interface SseSubscription<T = Record<string, unknown>> {
  readonly status: number;
  readonly contentType: string | null;
  /** Every `next` event so far, in order. */
  readonly results: Array<SseResult<T>>;
  /** True once `event: complete` came. */
  readonly completed: boolean;
  /** The next event not yet taken (`null` for completion); fails after `timeoutMs`. */
  take(timeoutMs?: number): Promise<SseResult<T> | null>;
  /** Takes events until completion (fails after `timeoutMs`), and answers them. */
  untilComplete(timeoutMs?: number): Promise<Array<SseResult<T>>>;
  /** Resolves once the response has ended, for whatever reason. */
  readonly ended: Promise<void>;
  /** Leaves: aborts the request, as a closing browser tab would. */
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Opens a subscription over SSE; resolves once the response's headers have arrived. */
export async function subscribeSse<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<SseSubscription<T>> {
  const controller = new AbortController();
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", accept: "text/event-stream", ...headers },
    body: JSON.stringify({ query, variables }),
    signal: controller.signal,
  });
  const results: Array<SseResult<T>> = [];
  const queue: Array<SseResult<T> | null> = [];
  let completed = false;
  let wake: (() => void) | undefined;
  const push = (event: SseResult<T> | null) => {
    queue.push(event);
    wake?.();
  };
  const ended = (async () => {
    if (response.body === null) return;
    const decoder = new TextDecoder();
    let buffer = "";
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf("\n\n");
        while (end !== -1) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf("\n\n");
          const lines = block.split("\n").filter((line) => !line.startsWith(":"));
          const event = lines
            .find((line) => line.startsWith("event:"))
            ?.slice(6)
            .trim();
          const data = lines
            .filter((line) => line.startsWith("data:"))
            .map((line) => line.slice(5).trim())
            .join("\n");
          if (event === "next") {
            const result = JSON.parse(data) as SseResult<T>;
            results.push(result);
            push(result);
          } else if (event === "complete") {
            completed = true;
            push(null);
          }
        }
      }
    } catch {
      // Aborted by `close()`, or the server cut the stream: `ended` resolves either way.
    } finally {
      wake?.();
    }
  })();
  let streamOver = false;
  void ended.then(() => {
    streamOver = true;
  });

  const take = async (timeoutMs = DEFAULT_TIMEOUT_MS): Promise<SseResult<T> | null> => {
    const deadline = Date.now() + timeoutMs;
    while (queue.length === 0) {
      if (streamOver) throw new Error("the stream ended without completing");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no SSE event within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
        void ended.then(wake);
      });
      wake = undefined;
    }
    return queue.shift() as SseResult<T> | null;
  };

  return {
    status: response.status,
    contentType: response.headers.get("content-type"),
    results,
    get completed() {
      return completed;
    },
    take,
    async untilComplete(timeoutMs = DEFAULT_TIMEOUT_MS) {
      const taken: Array<SseResult<T>> = [];
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const event = await take(Math.max(1, deadline - Date.now()));
        if (event === null) return taken;
        taken.push(event);
      }
    },
    ended,
    close: () => controller.abort(),
  };
}
