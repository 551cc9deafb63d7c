/**
 * A SERVER span per webhook delivery (src/live/webhooks.ts), continuing a `traceparent` if the
 * sender gave one: its answer's status, whether it nudged the poll, and how many job ids it named.
 * Never the body, the signature or an id.
 */
import type { Plugin } from "graphql-yoga";
import { activeTracing, callerContext, markFailed, runInSpan } from "./state.js";

/**
 * The webhook plugin with its `onRequest` run in a span for requests to `path`; the plugin's
 * own hook, untouched, for every other request and whenever tracing is off.
 */
export function traceWebhooks(path: string, plugin: Plugin): Plugin {
  const receive = plugin.onRequest;
  if (receive === undefined) return plugin;
  return {
    ...plugin,
    onRequest(payload) {
      const on = activeTracing();
      if (on === undefined || payload.url.pathname !== path) return receive(payload);
      const { request } = payload;
      const parent = callerContext(on, request.headers);
      const span = on.tracer.startSpan(
        `${request.method} ${path}`,
        {
          kind: on.api.SpanKind.SERVER,
          attributes: { "http.request.method": request.method, "url.path": path },
        },
        parent,
      );
      const endResponse = (response: Response) => {
        span.setAttribute("http.response.status_code", response.status);
        if (response.status >= 400) markFailed(on, span, String(response.status));
        payload.endResponse(response);
      };
      return runInSpan(on, span, parent, async () => receive({ ...payload, endResponse }));
    },
  };
}

/** Notes what a delivery came to on its span (the active one), when tracing runs. */
export function noteWebhookEvent(result: string, jobIds: number): void {
  activeTracing()
    ?.api.trace.getActiveSpan()
    ?.setAttributes({ "gateway.webhook.result": result, "gateway.webhook.job_ids": jobIds });
}
