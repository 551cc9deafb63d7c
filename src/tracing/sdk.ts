/**
 * Starting and stopping the OpenTelemetry SDK: a NodeTracerProvider (AsyncLocalStorage context,
 * W3C trace-context propagation only) whose spans a BatchSpanProcessor hands to the OTLP/HTTP
 * exporter of the configured protocol. Every OpenTelemetry module is imported here, when tracing
 * starts: with no endpoint, the process loads none of them (≈ 0.2 s of start-up and their memory).
 */
import type { Logger } from "pino";
import type { TracingConfig } from "./config.js";
import { setActiveTracing } from "./state.js";

/** What `index.ts` keeps of tracing, to flush it on SIGTERM. */
export interface Tracing {
  /** Exports every span ended so far (tests and the bench read them at once). */
  flush(): Promise<void>;
  /** Exports what is left, then stops tracing; bounded by SHUTDOWN_BOUND_MS. */
  shutdown(): Promise<void>;
}

/** The longest SIGTERM waits for the last spans: a collector that is down must not hold the exit. */
const SHUTDOWN_BOUND_MS = 5000;
/** Export failures are logged at most this often (a collector down fails every batch). */
const FAILURE_LOG_INTERVAL_MS = 60_000;

const OFF: Tracing = { flush: async () => {}, shutdown: async () => {} };

/**
 * Starts tracing for `config`, or does nothing when it has no endpoint. Logs where spans go (the
 * URL without credentials or query; never the headers).
 */
export async function startTracing(config: TracingConfig, logger: Logger): Promise<Tracing> {
  const { endpoint } = config;
  if (endpoint === undefined) return OFF;
  const [api, core, base, node, resources] = await Promise.all([
    import("@opentelemetry/api"),
    import("@opentelemetry/core"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/resources"),
  ]);
  const { OTLPTraceExporter } =
    config.protocol === "http/json"
      ? await import("@opentelemetry/exporter-trace-otlp-http")
      : await import("@opentelemetry/exporter-trace-otlp-proto");
  const exporter = new OTLPTraceExporter({ url: endpoint, headers: { ...config.headers } });
  const ratio = new base.TraceIdRatioBasedSampler(config.samplerRatio);
  const root = {
    always_on: new base.AlwaysOnSampler(),
    always_off: new base.AlwaysOffSampler(),
    traceidratio: ratio,
  };
  const sampler = config.sampler.startsWith("parentbased_")
    ? new base.ParentBasedSampler({ root: root[rootSampler(config.sampler)] })
    : root[rootSampler(config.sampler)];
  const provider = new node.NodeTracerProvider({
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ "service.name": config.serviceName })),
    sampler,
    spanProcessors: [new base.BatchSpanProcessor(exporter)],
  });
  // Trace context only: W3C baggage may carry what a caller put in it, and it would go upstream.
  provider.register({ propagator: new core.W3CTraceContextPropagator() });
  core.setGlobalErrorHandler(exportFailureLogger(logger));
  setActiveTracing({ api, tracer: provider.getTracer("parse-jobs-graphql") });
  const shown = new URL(endpoint);
  logger.info({
    msg: `Tracing: spans go to ${shown.origin}${shown.pathname} (${config.protocol}), sampler ${config.sampler}${config.sampler.endsWith("traceidratio") ? ` ${config.samplerRatio}` : ""}, service ${config.serviceName}`,
  });
  return {
    flush: () => provider.forceFlush(),
    async shutdown() {
      setActiveTracing(undefined);
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, SHUTDOWN_BOUND_MS);
      });
      await Promise.race([provider.shutdown().catch(() => {}), bound]);
      clearTimeout(timer);
      // The API's globals go too, so tracing can start again in this process (tests do).
      api.trace.disable();
      api.context.disable();
      api.propagation.disable();
      core.setGlobalErrorHandler(core.loggingErrorHandler());
    },
  };
}

function rootSampler(
  sampler: TracingConfig["sampler"],
): "always_on" | "always_off" | "traceidratio" {
  const root = sampler.replace(/^parentbased_/, "");
  return root === "always_off" || root === "traceidratio" ? root : "always_on";
}

/**
 * The SDK reports export failures to a global handler; these log them as a warning, once a
 * minute at most, with the message only (an OTLP error carries the collector's answer, never our
 * headers).
 */
function exportFailureLogger(logger: Logger): (error: unknown) => void {
  let lastAt = Number.NEGATIVE_INFINITY;
  let unlogged = 0;
  return (error) => {
    const now = performance.now();
    if (now - lastAt < FAILURE_LOG_INTERVAL_MS) {
      unlogged++;
      return;
    }
    lastAt = now;
    logger.warn({
      msg: "tracing: spans could not be exported; the gateway goes on without them",
      error: error instanceof Error ? error.message : String(error),
      failuresSinceLastLine: unlogged,
    });
    unlogged = 0;
  };
}
