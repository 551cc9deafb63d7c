import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import {
  generateSigningKey,
  type JwksServer,
  signKeyConfusion,
  signWithKey,
  signWithSecret,
  startJwksServer,
  unsignedToken,
} from "./support/jwks-server.js";
import { capturingLogger } from "./support/log-lines.js";
import { restListing, type Stack, startStack } from "./support/stack.js";

const SECRET = randomBytes(32).toString("hex");
const ISSUER = "https://issuer.test/";
const AUDIENCE = "parse-jobs-graphql";
const GOOD = { iss: ISSUER, aud: AUDIENCE, sub: "user-1" };
const QUERY = "{ parseJobs(first: 2) { edges { node { id projectId } } } }";
const now = () => Math.floor(Date.now() / 1000);

/** Every log line of every gateway here, and every token sent: none may show up in the other. */
const { logger, lines } = capturingLogger();
const sent: string[] = [];

/** A gateway (demo upstream behind it) with the AUTH_* variables given, read as at start. */
function startAuthStack(env: Record<string, string>, directPost = true): Promise<Stack> {
  const callers = loadConfig({
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: `other,${AUDIENCE}`,
    ...env,
  }).callers;
  return startStack({ config: { callers, directPost }, logger });
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  data?: { parseJobs: { edges: Array<{ node: { id: string; projectId: string } }> } } | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function ask(stack: Stack, authorization?: string, variables?: object): Promise<Answer> {
  const token = authorization?.replace(/^\S+ /, "");
  if (token) sent.push(token);
  const query = variables
    ? "query($f: ParseJobFilter) { parseJobs(first: 2, filter: $f) { edges { node { id projectId } } } }"
    : QUERY;
  const response = await fetch(stack.gatewayUrl, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: JSON.stringify({ query, variables: variables && { f: variables } }),
  });
  const text = await response.text();
  if (token && token.length > 8) expect(text).not.toContain(token);
  return { status: response.status, headers: response.headers, text, ...JSON.parse(text) };
}

/** Asks with `authorization` and expects the refusal, with no upstream call made for it. */
async function refused(
  stack: Stack,
  authorization: string | undefined,
  status: number,
  code: string,
  message: RegExp,
): Promise<Answer> {
  stack.demo.reset();
  const answer = await ask(stack, authorization);
  expect({ status: answer.status, code: answer.errors?.[0]?.extensions?.code }).toEqual({
    status,
    code,
  });
  expect(answer.errors?.[0]?.message).toMatch(message);
  expect(answer.data ?? null).toBeNull();
  expect(stack.demo.requests).toHaveLength(0);
  return answer;
}

async function served(stack: Stack, authorization: string, filter?: object): Promise<Answer> {
  const answer = await ask(stack, authorization, filter);
  expect(answer.errors).toBeUndefined();
  expect(answer.status).toBe(200);
  expect(answer.data?.parseJobs.edges.length).toBeGreaterThan(0);
  return answer;
}

const UNAUTH = "UNAUTHENTICATED";
const bearer = (token: string) => `Bearer ${token}`;

describe.each([true, false])("with AUTH_JWT_SECRET (direct path: %s)", (directPost) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startAuthStack({ AUTH_JWT_SECRET: SECRET }, directPost);
  });
  afterAll(() => stack.close());

  it("serves a valid HS256 token, and HS512 as well", async () => {
    await served(stack, bearer(await signWithSecret(SECRET, { claims: GOOD })));
    await served(stack, bearer(await signWithSecret(SECRET, { claims: GOOD, alg: "HS512" })));
  });

  it("refuses a request without a token with 401 and a challenge", async () => {
    const answer = await refused(stack, undefined, 401, UNAUTH, /Authentication required/);
    expect(answer.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
  });

  it.each([
    ["Basic credentials", () => "Basic dXNlcjpwYXNzd29yZA==", /must be `Bearer <JWT>`/],
    ["random bytes", () => bearer(randomBytes(48).toString("base64url")), /not a well-formed JWT/],
    ["a JWT of two parts", () => bearer("eyJhbGciOiJIUzI1NiJ9.e30"), /not a well-formed JWT/],
    ["a header that is not JSON", () => bearer("bm90LWpzb24.e30.c2ln"), /not a well-formed JWT/],
    [
      "a bad signature",
      () => signWithSecret(randomBytes(32).toString("hex"), { claims: GOOD }).then(bearer),
      /signature does not verify/,
    ],
    [
      "an expired token",
      () => signWithSecret(SECRET, { claims: GOOD, exp: now() - 600 }).then(bearer),
      /expired at \d{4}-/,
    ],
    [
      "a token not valid yet",
      () => signWithSecret(SECRET, { claims: { ...GOOD, nbf: now() + 600 } }).then(bearer),
      /not valid yet \(nbf\)/,
    ],
    [
      "the wrong issuer",
      () => signWithSecret(SECRET, { claims: { ...GOOD, iss: "https://evil.test/" } }).then(bearer),
      /issuer .*AUTH_ISSUER/,
    ],
    [
      "the wrong audience",
      () => signWithSecret(SECRET, { claims: { ...GOOD, aud: "someone-else" } }).then(bearer),
      /audience .*AUTH_AUDIENCE/,
    ],
    [
      "no exp",
      () => signWithSecret(SECRET, { claims: GOOD, exp: null }).then(bearer),
      /no expiry \(exp\)/,
    ],
    ["alg none", () => bearer(unsignedToken({ claims: GOOD })), /alg none/],
    [
      "alg None",
      () => bearer(unsignedToken({ claims: GOOD }, "None")),
      /algorithm is not accepted/,
    ],
    [
      "an RS256 token",
      async () => bearer(await signWithKey(await generateSigningKey(), { claims: GOOD })),
      /algorithm is not accepted here \(accepted: HS256, HS384, HS512\)/,
    ],
  ])("refuses %s with 401 and says so", async (_name, header, message) => {
    await refused(stack, await header(), 401, UNAUTH, message);
  });

  it("answers 401, never 500, for any bytes or any JSON posing as a token", async () => {
    const segment = fc
      .jsonValue()
      .map((value) => Buffer.from(JSON.stringify(value)).toString("base64url"));
    const tokens = fc.oneof(
      fc
        .uint8Array({ minLength: 1, maxLength: 300 })
        .map((b) => Buffer.from(b).toString("base64url")),
      fc.tuple(segment, segment, fc.base64String()).map((parts) => parts.join(".")),
      fc.stringMatching(/^[\x21-\x7e]{1,200}$/),
    );
    await fc.assert(
      fc.asyncProperty(tokens, async (token) => {
        await refused(stack, bearer(token), 401, UNAUTH, /./);
      }),
      { numRuns: 60 },
    );
  });

  it("lets Node refuse a 100 kB token (431) and keeps answering", async () => {
    const huge = await signWithSecret(SECRET, { claims: { ...GOOD, pad: "x".repeat(100_000) } });
    const response = await fetch(stack.gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: bearer(huge) },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(response.status).toBe(431);
    expect(await response.text()).not.toContain(huge.slice(0, 40));
    await served(stack, bearer(await signWithSecret(SECRET, { claims: GOOD })));
  });
});

describe("with AUTH_JWKS_URL", () => {
  let idp: JwksServer;
  let stack: Stack;
  beforeAll(async () => {
    idp = await startJwksServer({ ec: true });
    stack = await startAuthStack({ AUTH_JWKS_URL: idp.url, AUTH_JWKS_COOLDOWN_MS: "0" });
  });
  afterAll(async () => {
    await stack.close();
    await idp.close();
  });
  const rsa = () => idp.key();

  it("serves valid RS256 and ES256 tokens, fetching the keys once", async () => {
    await served(stack, bearer(await signWithKey(rsa(), { claims: GOOD })));
    await served(stack, bearer(await signWithKey(idp.key(1), { claims: GOOD })));
    expect(idp.fetches()).toBe(1);
  });

  it.each(["pem", "jwk"] as const)(
    "refuses HS256 keyed with the public key as %s",
    async (form) => {
      const token = await signKeyConfusion(rsa(), form, { claims: GOOD });
      await refused(stack, bearer(token), 401, UNAUTH, /algorithm is not accepted here/);
    },
  );

  it.each([
    ["alg none", () => unsignedToken({ claims: GOOD }), /alg none/],
    [
      "a forged signature under a published kid",
      async () => signWithKey(await generateSigningKey(), { claims: GOOD, kid: rsa().kid }),
      /signature does not verify/,
    ],
    [
      "an expired RS256 token",
      () => signWithKey(rsa(), { claims: GOOD, exp: now() - 60 }),
      /expired/,
    ],
    [
      "an RS256 token without exp",
      () => signWithKey(rsa(), { claims: GOOD, exp: null }),
      /no expiry/,
    ],
  ])("refuses %s", async (_name, token, message) => {
    await refused(stack, bearer(await token()), 401, UNAUTH, message);
  });

  it("follows a key rotation: the new key works at once, the dropped one stops", async () => {
    const old = rsa();
    await served(stack, bearer(await signWithKey(old, { claims: GOOD })));
    const fresh = await idp.addKey();
    idp.dropKey(old.kid);
    const before = idp.fetches();
    await served(stack, bearer(await signWithKey(fresh, { claims: GOOD })));
    expect(idp.fetches()).toBe(before + 1);
    const stale = bearer(await signWithKey(old, { claims: GOOD }));
    await refused(stack, stale, 401, UNAUTH, /no key of the identity provider/);
  });

  it("verifies a token without kid against each key of its type while two are published", async () => {
    const second = await idp.addKey();
    // A token naming the new key makes the store fetch the set that holds both.
    await served(stack, bearer(await signWithKey(second, { claims: GOOD })));
    const fetches = idp.fetches();
    await served(stack, bearer(await signWithKey(second, { claims: GOOD, kid: null })));
    await served(stack, bearer(await signWithKey(rsa(), { claims: GOOD, kid: null })));
    expect(idp.fetches()).toBe(fetches);
    const stranger = await generateSigningKey();
    const forged = bearer(await signWithKey(stranger, { claims: GOOD, kid: null }));
    await refused(stack, forged, 401, UNAUTH, /signature does not verify/);
  });
});

describe("a flood of unknown kids (AUTH_JWKS_COOLDOWN_MS=60000)", () => {
  let idp: JwksServer;
  let stack: Stack;
  beforeAll(async () => {
    idp = await startJwksServer();
    stack = await startAuthStack({ AUTH_JWKS_URL: idp.url, AUTH_JWKS_COOLDOWN_MS: "60000" });
  });
  afterAll(async () => {
    await stack.close();
    await idp.close();
  });

  it("costs the provider at most 2 fetches and no upstream call, and valid tokens still work", async () => {
    const unknown = await generateSigningKey();
    const tokens = await Promise.all(
      Array.from({ length: 50 }, () =>
        signWithKey(unknown, { claims: GOOD, kid: randomBytes(8).toString("hex") }),
      ),
    );
    stack.demo.reset();
    const answers = await Promise.all(tokens.map((token) => ask(stack, bearer(token))));
    for (const answer of answers) {
      expect(answer.status).toBe(401);
      expect(answer.errors?.[0]?.message).toMatch(/no key of the identity provider/);
    }
    expect(stack.demo.requests).toHaveLength(0);
    expect(idp.fetches()).toBeGreaterThanOrEqual(1);
    expect(idp.fetches()).toBeLessThanOrEqual(2);
    const fetches = idp.fetches();
    await served(stack, bearer(await signWithKey(idp.key(), { claims: GOOD })));
    expect(idp.fetches()).toBe(fetches);
  });
});

describe("when the identity provider fails", () => {
  let idp: JwksServer;
  let stack: Stack;
  beforeAll(async () => {
    idp = await startJwksServer();
    stack = await startAuthStack({ AUTH_JWKS_URL: idp.url, AUTH_JWKS_COOLDOWN_MS: "0" });
  });
  afterAll(async () => {
    await stack.close();
    await idp.close();
  });
  const origin = () => new URL(idp.url).origin;

  it.each([
    ["fail", /HTTP 500/],
    ["not-json", /not JSON/],
    ["no-keys", /no `keys` array/],
  ] as const)("answers 503 AUTH_PROVIDER_UNAVAILABLE when it answers %s", async (mode, reason) => {
    idp.setMode(mode);
    const token = await signWithKey(idp.key(), { claims: GOOD });
    const answer = await refused(stack, bearer(token), 503, "AUTH_PROVIDER_UNAVAILABLE", reason);
    expect(answer.errors?.[0]?.message).toContain(origin());
    expect(answer.headers.get("retry-after")).toBe("5");
    const warned = lines.filter((line) => line.includes("could not fetch the identity provider"));
    expect(warned.at(-1)).toMatch(reason);
  });

  it("recovers, then keeps serving known keys from the set it has while the provider fails", async () => {
    idp.setMode("ok");
    const token = bearer(await signWithKey(idp.key(), { claims: GOOD }));
    await served(stack, token);
    idp.setMode("fail");
    const rotated = await signWithKey(await generateSigningKey(), { claims: GOOD });
    await refused(stack, bearer(rotated), 401, UNAUTH, /no key of the identity provider/);
    await served(stack, token);
  });

  it("answers 503 when the provider does not answer within 5 s, or cannot be reached", async () => {
    const hung = await startJwksServer();
    hung.setMode("hang");
    const down = await startJwksServer();
    await down.close();
    for (const [server, reason] of [
      [hung, /no answer within 5000 ms/],
      [down, /connection failed \(ECONNREFUSED\)/],
    ] as const) {
      const gateway = await startAuthStack({ AUTH_JWKS_URL: server.url });
      const token = await signWithKey(server.key(), { claims: GOOD });
      await refused(gateway, bearer(token), 503, "AUTH_PROVIDER_UNAVAILABLE", reason);
      await gateway.close();
    }
    await hung.close();
  });
});

describe("with AUTH_PROJECT_CLAIM", () => {
  let stack: Stack;
  let projects: string[];
  beforeAll(async () => {
    stack = await startAuthStack({ AUTH_JWT_SECRET: SECRET, AUTH_PROJECT_CLAIM: "projects" });
    const listing = await restListing(stack.demo);
    projects = [...new Set(listing.map((job) => String(job.project_id)))].sort();
  });
  afterAll(() => stack.close());
  const token = (projects: unknown) => signWithSecret(SECRET, { claims: { ...GOOD, projects } });

  it.each([
    ["no claim", undefined, /no "projects" claim/],
    ["a number", 42, /must be a project id or a non-empty list/],
    ["an empty list", [], /non-empty list/],
    ["a list with a number", ["prj-a", 7], /non-empty list/],
    ["an object", { id: "prj-a" }, /non-empty list/],
  ])("refuses a token whose claim is %s with 403 FORBIDDEN", async (_name, claim, message) => {
    await refused(stack, bearer(await token(claim)), 403, "FORBIDDEN", message);
  });

  it.each([
    ["a string", (p: string[]) => p[0], (p: string[]) => p[0]],
    ["a list", (p: string[]) => [p[1], p[0], p[1]], (p: string[]) => p[1]],
  ])("serves a token whose claim is %s, within its projects", async (_name, claim, asked) => {
    const project = asked(projects) as string;
    stack.demo.reset();
    const answer = await served(stack, bearer(await token(claim(projects))), {
      projectId: project,
    });
    for (const edge of answer.data?.parseJobs.edges ?? [])
      expect(edge.node.projectId).toBe(project);
    expect(stack.demo.requests.length).toBeGreaterThan(0);
    for (const request of stack.demo.requests)
      expect(request.query.get("project_id")).toBe(project);
  });
});

it("never wrote a token into a log line", () => {
  expect(sent.length).toBeGreaterThan(0);
  expect(lines.length).toBeGreaterThan(0);
  for (const token of sent.filter((value) => value.length > 8)) {
    expect(lines.filter((line) => line.includes(token))).toEqual([]);
  }
  expect(lines.filter((line) => line.includes(SECRET))).toEqual([]);
});
