/**
 * The JWKS key store on its own (src/callers/jwks.ts), against a real local provider: when it
 * fetches, how often, and what it says when it cannot. test/callers-auth.test.ts covers the same
 * store through the gateway.
 */
import { errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createJwksKeys, JwksUnavailableError } from "../src/callers/jwks.js";
import {
  generateSigningKey,
  type JwksServer,
  type SigningKey,
  signWithKey,
  startJwksServer,
} from "./support/jwks-server.js";
import { capturingLogger } from "./support/log-lines.js";

const { logger, lines } = capturingLogger();

let idp: JwksServer;
beforeAll(async () => {
  idp = await startJwksServer();
});
afterAll(() => idp.close());
afterEach(() => {
  vi.useRealTimers();
  idp.setMode("ok");
});

async function verify(keys: JWTVerifyGetKey, key: SigningKey, kid?: string): Promise<unknown> {
  const token = await signWithKey(key, kid === undefined ? {} : { kid });
  return (await jwtVerify(token, keys, { algorithms: ["RS256", "ES256"] })).payload;
}

/** A fresh store on the shared provider, and the provider's fetch count when it was made. */
function store(cooldownMs: number): { keys: JWTVerifyGetKey; fetched: () => number } {
  const start = idp.fetches();
  return {
    keys: createJwksKeys(idp.url, cooldownMs, logger),
    fetched: () => idp.fetches() - start,
  };
}

describe("createJwksKeys", () => {
  it("fetches nothing until the first token, then once for all concurrent first tokens", async () => {
    const { keys, fetched } = store(0);
    expect(fetched()).toBe(0);
    await Promise.all(Array.from({ length: 10 }, () => verify(keys, idp.key())));
    expect(fetched()).toBe(1);
  });

  it("lets tokens of a newly published key wait for the next allowed fetch, and share it", async () => {
    const { keys, fetched } = store(300);
    await verify(keys, idp.key());
    const fresh = await idp.addKey("ES256");
    await Promise.all(Array.from({ length: 10 }, () => verify(keys, fresh)));
    expect(fetched()).toBe(2);
    idp.dropKey(fresh.kid);
  });

  it("refuses an unknown kid at once, with no fetch, when the cool-down is too long to wait", async () => {
    const { keys, fetched } = store(60_000);
    await verify(keys, idp.key());
    const stranger = await generateSigningKey();
    await expect(verify(keys, stranger)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(fetched()).toBe(1);
  });

  it("re-fetches a set older than 10 minutes before use: a withdrawn key stops working", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const { keys, fetched } = store(60_000);
    const old = idp.key();
    await verify(keys, old);
    const fresh = await idp.addKey();
    idp.dropKey(old.kid);
    // Within its 10 minutes the set is trusted as it is: no fetch for a known kid.
    await verify(keys, old);
    expect(fetched()).toBe(1);
    vi.advanceTimersByTime(10 * 60_000 + 1);
    await expect(verify(keys, old)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await verify(keys, fresh);
    expect(fetched()).toBe(2);
  });

  it("throws JwksUnavailableError naming the origin and the status, and logs the failure", async () => {
    idp.setMode("fail");
    const { keys } = store(0);
    const token = await signWithKey(idp.key());
    const error = await jwtVerify(token, keys).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(JwksUnavailableError);
    expect((error as Error).message).toBe(`JWKS at ${new URL(idp.url).origin}: HTTP 500`);
    const warned = lines.filter((line) => line.includes('"level":40')).at(-1) ?? "";
    expect(JSON.parse(warned)).toMatchObject({
      url: idp.url,
      reason: "HTTP 500",
      msg: "could not fetch the identity provider's JWKS",
    });
    expect(lines.some((line) => line.includes(token))).toBe(false);
  });

  it("asks a failing provider at most once per cool-down, however many tokens come", async () => {
    idp.setMode("fail");
    const { keys, fetched } = store(60_000);
    for (let i = 0; i < 20; i++) {
      await expect(verify(keys, idp.key())).rejects.toBeInstanceOf(JwksUnavailableError);
    }
    expect(fetched()).toBe(1);
  });

  it("keeps the set it has when a later fetch fails, for the kids it knows", async () => {
    const { keys, fetched } = store(0);
    await verify(keys, idp.key());
    idp.setMode("no-keys");
    const stranger = await generateSigningKey();
    await expect(verify(keys, stranger)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await verify(keys, idp.key());
    expect(fetched()).toBe(2);
  });
});
