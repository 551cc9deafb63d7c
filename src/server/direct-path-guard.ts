import type { Plugin } from "graphql-yoga";

/**
 * What keeps the direct path (src/server/direct-post.ts) from silently bypassing a plugin.
 *
 * The direct path hands a plain GraphQL POST straight to Yoga's GraphQL pipeline, so it skips
 * the hooks of Yoga's HTTP layer: `onRequest`, `onRequestParse`, `onResponse`, `onResultProcess`
 * and request-level instrumentation. It reproduces what the gateway's own such plugins do, and
 * Yoga's built-in ones have nothing to do for the requests it takes. Any other plugin with such a
 * hook (rate limiting, authentication or tracing added later) would be skipped without a word, so
 * the direct path steps aside for the whole gateway when one is present: it has to be taught a
 * plugin (and the byte-equality test extended) before that plugin can be marked here.
 */

/** The hooks of Yoga's HTTP layer, which the direct path does not run. */
const HTTP_HOOKS = ["onRequest", "onRequestParse", "onResponse", "onResultProcess"] as const;
/** The request-level phases of a plugin's `instrumentation`, which the direct path skips too. */
const HTTP_INSTRUMENTATION = ["request", "requestParse", "resultProcess"] as const;

/** Plugins whose HTTP-level hooks the direct path reproduces, marked where they are made. */
const reproduced = new WeakSet<object>();

/** Marks a plugin whose HTTP-level hooks the direct path reproduces; returns it. */
export function handledByDirectPath<P extends Plugin>(plugin: P): P {
  reproduced.add(plugin);
  return plugin;
}

/** A plugin as Yoga holds it, for reading which hooks it has. */
type HookedPlugin = Record<string, unknown> | null | undefined | false;

/** The plugins a Yoga server runs, built-ins included (a protected field of Yoga's server). */
export function pluginsOf(yoga: object): readonly HookedPlugin[] {
  const plugins = (yoga as { plugins?: unknown }).plugins;
  if (!Array.isArray(plugins)) {
    // A Yoga upgrade that moved the field: the guard cannot see, so the direct path must not run.
    throw new Error("Yoga no longer exposes its plugins: the direct path cannot be guarded");
  }
  return plugins as HookedPlugin[];
}

/** The HTTP-level hooks of one plugin, each as `hook` plus its source (which identifies it). */
function httpHooks(plugin: HookedPlugin): Array<{ name: string; signature: string }> {
  if (!plugin) return [];
  const hooks: Array<{ name: string; signature: string }> = HTTP_HOOKS.filter(
    (name) => typeof plugin[name] === "function",
  ).map((name) => ({
    name,
    signature: `${name}:${String(plugin[name])}`,
  }));
  const instrumentation = plugin.instrumentation;
  if (typeof instrumentation === "object" && instrumentation !== null) {
    for (const phase of HTTP_INSTRUMENTATION) {
      const hook = (instrumentation as Record<string, unknown>)[phase];
      if (typeof hook === "function") {
        hooks.push({ name: `instrumentation.${phase}`, signature: `${phase}:${String(hook)}` });
      }
    }
  }
  return hooks;
}

/**
 * The HTTP-level hooks of `gateway` that the direct path would skip: those of plugins neither
 * marked with `handledByDirectPath` nor built into Yoga. Yoga's built-ins are fresh objects in
 * every server, so they are recognised by their hooks' source, read off `reference`: a Yoga
 * server built with the same options and no plugins of ours. Empty means the path is safe.
 */
export function hooksTheDirectPathSkips(gateway: object, reference: object): string[] {
  const builtIn = new Set(
    pluginsOf(reference)
      .flatMap(httpHooks)
      .map((hook) => hook.signature),
  );
  const skipped: string[] = [];
  pluginsOf(gateway).forEach((plugin, index) => {
    if (!plugin || reproduced.has(plugin)) return;
    for (const hook of httpHooks(plugin)) {
      if (!builtIn.has(hook.signature)) skipped.push(`plugin #${index} ${hook.name}`);
    }
  });
  return skipped;
}
