import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { createMetrics } from "../src/observability/metrics.js";
import { createSharedRedis } from "../src/shared/index.js";
import type { SharedRedis } from "../src/shared/redis.js";
import { capturingLogger } from "./support/log-lines.js";
import { startRedis, type TestRedis } from "./support/redis.js";

/** Resolves when `redis.available` becomes `wanted`. */
function availability(redis: SharedRedis, wanted: boolean): Promise<void> {
  if (redis.available === wanted) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = redis.onAvailability((available) => {
      if (available !== wanted) return;
      stop();
      resolve();
    });
  });
}

describe("SharedRedis against a real redis-server", () => {
  let server: TestRedis;
  let redis: SharedRedis;
  const { logger, lines } = capturingLogger();
  const metrics = createMetrics();

  beforeAll(async () => {
    server = await startRedis();
    const config = loadConfig({ REDIS_URL: server.url, REDIS_PREFIX: "t:" }).shared;
    const created = createSharedRedis(config, logger, metrics);
    if (created === undefined) throw new Error("REDIS_URL was set");
    redis = created;
    await availability(redis, true);
  });
  afterAll(async () => {
    await redis.close();
    await server.close();
  });

  it("shares through Redis while it is there, under the prefix", async () => {
    const value = await redis.orLocal(
      "response-cache",
      async () => {
        await redis.client.set("k", "shared");
        return redis.client.get("k");
      },
      () => "local",
    );
    expect(value).toBe("shared");
  });

  it("falls back at once when Redis dies, says so once, and shares again when it returns", async () => {
    await server.kill();
    await availability(redis, false);
    const during = await redis.orLocal(
      "rate-limit",
      async () => "shared",
      () => "local",
    );
    expect(during).toBe("local");
    expect(lines.filter((line) => line.includes("redis unavailable"))).toHaveLength(1);
    const exposition = await metrics.registry.metrics();
    expect(exposition).toContain('redis_fallbacks_total{feature="rate-limit"} 1');
    expect(exposition).toContain("redis_available 0");

    await server.restart();
    await availability(redis, true);
    const after = await redis.orLocal(
      "rate-limit",
      async () => "shared",
      () => "local",
    );
    expect(after).toBe("shared");
    expect(lines.filter((line) => line.includes("redis available"))).toHaveLength(2);
    expect(await metrics.registry.metrics()).toContain("redis_available 1");
  });

  it("never writes the URL's password into a message", () => {
    expect(() => loadConfig({ REDIS_URL: "http://user:s3cret@host" })).toThrow(/scheme http:/);
    expect(() => loadConfig({ REDIS_URL: "http://user:s3cret@host" })).not.toThrow(/s3cret/);
  });
});
