import type { AddressInfo } from "node:net";
import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import type { Plugin } from "graphql-yoga";
import type { Logger } from "pino";
import { type Config, loadConfig } from "../../src/config.js";
import {
  DEMO_KEY,
  type DemoUpstream,
  type DemoUpstreamOptions,
  startDemoUpstream,
} from "../../src/demo-upstream/server.js";
import { attachWebSockets, type GatewayWebSockets } from "../../src/live/websocket.js";
import { createGatewayServer, type GatewayServer } from "../../src/server/http-server.js";
import { createGatewayHandlers, createRuntime, type GatewayRuntime } from "../../src/yoga.js";

/** A GraphQL answer as it came over the wire. */
export interface GraphQLAnswer<T> {
  status: number;
  data?: T | null;
  errors?: Array<{
    message: string;
    path?: Array<string | number>;
    extensions?: Record<string, unknown>;
  }>;
}

/** The demo upstream and the gateway in front of it, both on real loopback sockets. */
export interface Stack {
  demo: DemoUpstream;
  gatewayUrl: string;
  /** The same endpoint for GraphQL over WebSocket: `ws://…/graphql`. */
  wsUrl: string;
  config: Config;
  runtime: GatewayRuntime;
  /** The HTTP server and its drain switch, for shutdown tests. */
  gateway: GatewayServer;
  webSockets: GatewayWebSockets;
  /** Posts an operation to the gateway's /graphql. */
  query<T, V>(
    document: TypedDocumentNode<T, V> | string,
    variables?: V,
    headers?: Record<string, string>,
  ): Promise<GraphQLAnswer<T>>;
  close(): Promise<void>;
}

export interface StackOptions {
  demo?: DemoUpstreamOptions;
  /**
   * A demo upstream already running (another stack's), for replicas of one upstream: used
   * instead of starting one (`demo` is then ignored), and left running by `close()`.
   */
  upstream?: DemoUpstream;
  /** Overrides on top of the defaults below (the demo's key, fast retries). */
  config?: Partial<Config>;
  /** A logger to read the gateway's log lines from (default: silent). */
  logger?: Logger;
  /** Plugins to run after the gateway's own (a stand-in for one added later). */
  plugins?: Plugin[];
}

/** The gateway's configuration against a demo upstream: the demo's key, fast retries, no logs. */
export function demoConfig(demo: DemoUpstream, overrides: Partial<Config> = {}): Config {
  return {
    ...loadConfig({}),
    baseUrl: demo.url,
    apiKey: DEMO_KEY,
    demoMode: false,
    retryBaseDelayMs: 5,
    logLevel: "silent",
    // Every shared result is frozen in tests: code that mutates one throws instead of leaking.
    freezeSharedResults: true,
    ...overrides,
  };
}

/** Starts a demo upstream and a gateway configured against it, as `npm start` would. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const demo = options.upstream ?? (await startDemoUpstream(options.demo));
  const config = demoConfig(demo, options.config);
  const runtime = createRuntime(config, options.logger);
  const { listener, yoga } = createGatewayHandlers(config, runtime, options.plugins);
  const gateway = createGatewayServer(config, listener);
  const { server } = gateway;
  const webSockets = attachWebSockets(server, config, runtime, yoga);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const gatewayUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  return {
    demo,
    gatewayUrl,
    wsUrl: gatewayUrl.replace(/^http/, "ws"),
    config,
    runtime,
    gateway,
    webSockets,
    async query(document, variables, headers = {}) {
      const response = await fetch(gatewayUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json", ...headers },
        body: JSON.stringify({
          query: typeof document === "string" ? document : print(document),
          variables,
        }),
      });
      return { status: response.status, ...((await response.json()) as object) };
    },
    async close() {
      runtime.live.close();
      // Neither closes upgraded sockets, and `server.close()` would wait for them.
      webSockets.terminate();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await runtime.shared?.close();
      if (options.upstream === undefined) await demo.close();
    },
  };
}

/** Calls the demo upstream's REST endpoint directly, as a reference for what the gateway should show. */
export async function restListing(
  demo: DemoUpstream,
  params: Array<[string, string]> = [],
  key: string = DEMO_KEY,
): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let token: string | undefined;
  do {
    const url = new URL(`${demo.url}/api/v2/parse`);
    for (const [name, value] of params) url.searchParams.append(name, value);
    url.searchParams.set("page_size", "100");
    if (token) url.searchParams.set("page_token", token);
    const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    const body = (await response.json()) as {
      items: Array<Record<string, unknown>>;
      next_page_token?: string | null;
    };
    items.push(...body.items);
    token = body.next_page_token ?? undefined;
  } while (token);
  return items;
}

/** A REST item as the gateway shows it: camelCase, nulls for missing fields, timestamps in UTC. */
export function asGraphQL(job: Record<string, unknown>) {
  const utc = (value: unknown) => (typeof value === "string" ? value.replace("+00:00", "Z") : null);
  return {
    id: job.id,
    projectId: job.project_id,
    status: job.status,
    createdAt: utc(job.created_at),
    updatedAt: utc(job.updated_at),
    errorMessage: job.error_message ?? null,
    name: job.name ?? null,
    tier: job.tier ?? null,
  };
}
