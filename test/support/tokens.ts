import { randomBytes } from "node:crypto";
import { SignJWT } from "jose";
import type { CallersConfig } from "../../src/callers/config.js";
import { loadConfig } from "../../src/config.js";
import type { DemoUpstream } from "../../src/demo-upstream/server.js";
import { restListing } from "./stack.js";

/** The HS256 secret of the test gateways: 32 random bytes, hex (64 bytes of text). */
export const TEST_SECRET = randomBytes(32).toString("hex");

/** The claim that lists a caller's projects (`AUTH_PROJECT_CLAIM`) in these tests. */
export const PROJECT_CLAIM = "projects";

/** The callers' settings with HS256 authentication and the project claim on. */
export function scopedCallers(overrides: Partial<CallersConfig> = {}): CallersConfig {
  return {
    ...loadConfig({}).callers,
    auth: {
      jwtSecret: TEST_SECRET,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
      projectClaim: PROJECT_CLAIM,
      jwksCooldownMs: 1000,
    },
    ...overrides,
  };
}

/**
 * `Authorization` headers of a caller: a valid HS256 token with subject `sub` and, unless
 * `projects` is undefined, the project claim set to it (a list, a single id, or anything else).
 */
export async function bearer(
  sub: string | undefined,
  projects: unknown,
  secret: string = TEST_SECRET,
): Promise<Record<string, string>> {
  const claims: Record<string, unknown> =
    projects === undefined ? {} : { [PROJECT_CLAIM]: projects };
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).setExpirationTime("5m");
  if (sub !== undefined) jwt = jwt.setSubject(sub);
  const token = await jwt.sign(new TextEncoder().encode(secret));
  return { authorization: `Bearer ${token}` };
}

/** A job as the REST listing shows it, with what scoping looks at. */
export interface RestJob extends Record<string, unknown> {
  id: string;
  project_id: string;
}

/** Every job of the demo upstream in REST order, and the same per project (projects sorted). */
export interface DemoProjects {
  all: RestJob[];
  projects: string[];
  jobsOf: Map<string, RestJob[]>;
}

/**
 * Reads the demo upstream's jobs straight from its REST endpoint, and forgets those requests in
 * its log, so that a test's log holds only the gateway's calls.
 */
export async function demoProjects(demo: DemoUpstream): Promise<DemoProjects> {
  const all = (await restListing(demo)) as RestJob[];
  const jobsOf = new Map<string, RestJob[]>();
  for (const job of all) {
    const list = jobsOf.get(job.project_id) ?? [];
    list.push(job);
    jobsOf.set(job.project_id, list);
  }
  demo.reset();
  return { all, projects: [...jobsOf.keys()].sort(), jobsOf };
}
