/**
 * Scoped callers through a federation router: this gateway with caller authentication on (HS256,
 * projects in the `projects` claim), composed with the documents subgraph by the README's Hive
 * Gateway configuration, which forwards the caller's `Authorization` to this subgraph alone.
 */
import { SignJWT } from "jose";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { DocumentsSubgraph } from "../examples/federation/documents-subgraph.js";
import { loadConfig } from "../src/config.js";
import { DEMO_KEY } from "../src/demo-upstream/server.js";
import { asGraphQL, JOB_FIELDS, type RestJob } from "./support/expected-job.js";
import { restListing, type Stack, startStack } from "./support/stack.js";
import {
  type DocumentsSupergraph,
  type FederationGateway,
  startDocumentsSupergraph,
} from "./support/supergraph.js";

const SECRET = "federation-callers-test-secret-0123456789";

/** A caller's token, signed with the gateway's secret unless told otherwise. */
function token(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(`caller-${JSON.stringify(claims)}`)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(new TextEncoder().encode(secret));
}

const bearer = async (claims: Record<string, unknown>, secret?: string) => ({
  authorization: `Bearer ${await token(claims, secret)}`,
});

const DOCUMENTS = `{ documents(first: 100) { edges { node { id parseJob { ${JOB_FIELDS} } } } } }`;
type DocumentsAnswer = {
  documents: { edges: Array<{ node: { id: string; parseJob: unknown } }> };
};

describe("a scoped caller through Hive Gateway", () => {
  let stack: Stack;
  let supergraph: DocumentsSupergraph;
  let documents: DocumentsSubgraph;
  let gateway: FederationGateway;
  /** The job id each document references, in document order (null: never parsed). */
  let references: Array<string | null>;
  let jobsById: Map<string, RestJob>;
  let mine: string;
  let other: string;

  beforeAll(async () => {
    stack = await startStack({
      config: {
        // Read from the environment variables the README documents, as `npm start` would.
        callers: loadConfig({
          LLAMA_CLOUD_API_KEY: DEMO_KEY,
          AUTH_JWT_SECRET: SECRET,
          AUTH_PROJECT_CLAIM: "projects",
        }).callers,
      },
    });
    const everything = await restListing(stack.demo);
    jobsById = new Map(everything.map((job) => [String(job.id), job]));
    // The newest 40 jobs, spread over the demo's five projects, one unknown id and one document
    // never parsed: the router resolves 41 ParseJob references in one `_entities` call.
    references = everything.slice(0, 40).map((job) => String(job.id));
    references.splice(7, 0, "pjb-does-not-exist");
    references.splice(12, 0, null);
    const projects = [...new Set(everything.slice(0, 40).map((job) => String(job.project_id)))];
    expect(projects.length).toBeGreaterThanOrEqual(3);
    [mine = "", other = ""] = projects;
    supergraph = await startDocumentsSupergraph(stack.gatewayUrl, references);
    ({ documents, gateway } = supergraph);
  });
  afterAll(async () => {
    await supergraph?.close();
    await stack?.close();
  });
  beforeEach(() => stack.demo.reset());

  /** What a caller allowed `projects` must see for each document's job. */
  function expectedJobs(projects: readonly string[]): unknown[] {
    return references.map((id) => {
      const job = id === null ? undefined : jobsById.get(id);
      return job !== undefined && projects.includes(String(job.project_id)) ? asGraphQL(job) : null;
    });
  }

  /** The documents whose job reference the router could not resolve (null from `_entities`). */
  function unresolved(projects: readonly string[]): number[] {
    const expected = expectedJobs(projects);
    return references.flatMap((id, index) =>
      id !== null && expected[index] === null ? [index] : [],
    );
  }

  /** Every upstream call so far: its `project_id`s and the key it was made with. */
  function upstreamCalls() {
    return stack.demo.requests.map((request) => ({
      path: request.path,
      projectIds: request.query.getAll("project_id"),
      authorization: request.authorization,
    }));
  }

  it("resolves the jobs of the caller's project; others are null, as a job that does not exist", async () => {
    const caller = await bearer({ projects: mine });
    const documentsBefore = documents.authorizations().length;
    const answer = await gateway.query<DocumentsAnswer>(DOCUMENTS, caller);

    const jobs = answer.data?.documents.edges.map((edge) => edge.node.parseJob);
    expect(jobs).toEqual(expectedJobs([mine]));
    // Both kinds of reference occur: the caller's jobs and other projects' jobs.
    expect(jobs?.filter((job) => job !== null).length).toBeGreaterThan(0);
    const foreign = references.filter(
      (id) => id !== null && jobsById.has(id) && jobsById.get(id)?.project_id !== mine,
    );
    expect(foreign.length).toBeGreaterThan(0);

    // The router says the same of another project's job as of the unknown one: each is a null
    // entity, with one error on its own path and nothing that tells the two apart.
    const errors = answer.errors ?? [];
    expect(errors.map((error) => error.path?.slice(0, 5))).toEqual(
      unresolved([mine]).map((index) => ["documents", "edges", index, "node", "parseJob"]),
    );
    const unknownIndex = references.indexOf("pjb-does-not-exist");
    const unknownError = errors.find((error) => error.path?.[2] === unknownIndex);
    expect(unknownError).toBeDefined();
    const withoutPath = ({ path: _path, ...rest }: { path?: unknown[] }) => rest;
    for (const error of errors) expect(withoutPath(error)).toEqual(withoutPath(unknownError ?? {}));
    expect(JSON.stringify(answer)).not.toContain(other);

    // One lookup upstream, with the caller's project and the gateway's own key: the caller's JWT
    // is for the gateway alone, and the documents subgraph never sees it.
    expect(upstreamCalls()).toEqual([
      { path: "/api/v2/parse", projectIds: [mine], authorization: `Bearer ${DEMO_KEY}` },
    ]);
    expect(documents.authorizations().slice(documentsBefore)).toEqual([undefined]);
  });

  it("resolves the jobs of each of a caller's projects, one call per project", async () => {
    const projects = [mine, other].sort();
    const answer = await gateway.query<DocumentsAnswer>(DOCUMENTS, await bearer({ projects }));
    expect(answer.data?.documents.edges.map((edge) => edge.node.parseJob)).toEqual(
      expectedJobs(projects),
    );
    expect(answer.errors?.map((error) => error.path?.[2])).toEqual(unresolved(projects));
    const calls = upstreamCalls();
    expect(calls.map((call) => call.projectIds).sort()).toEqual(projects.map((p) => [p]));
    expect(calls.every((call) => call.authorization === `Bearer ${DEMO_KEY}`)).toBe(true);

    // The one-project caller, right after: nothing of the wider scope carries over.
    stack.demo.reset();
    const narrow = await gateway.query<DocumentsAnswer>(
      DOCUMENTS,
      await bearer({ projects: [mine] }),
    );
    expect(narrow.data?.documents.edges.map((edge) => edge.node.parseJob)).toEqual(
      expectedJobs([mine]),
    );
    expect(upstreamCalls().map((call) => call.projectIds)).toEqual([[mine]]);
  });

  it("lists and looks up through the router's root fields within the caller's project only", async () => {
    const foreignJob = references.find(
      (id) => id !== null && jobsById.get(id)?.project_id === other,
    );
    const ownJob = references.find((id) => id !== null && jobsById.get(id)?.project_id === mine);
    const answer = await gateway.query<{
      parseJobs: { edges: Array<{ node: { projectId: string } }> };
      own: { id: string } | null;
      foreign: { id: string } | null;
    }>(
      `{ parseJobs(first: 5) { edges { node { projectId } } }
         own: parseJob(id: ${JSON.stringify(ownJob)}) { id }
         foreign: parseJob(id: ${JSON.stringify(foreignJob)}) { id } }`,
      await bearer({ projects: [mine] }),
    );
    expect(answer.errors).toBeUndefined();
    expect(answer.data?.parseJobs.edges.map((edge) => edge.node.projectId)).toEqual(
      Array(5).fill(mine),
    );
    expect(answer.data?.own).toEqual({ id: ownJob });
    expect(answer.data?.foreign).toBeNull();
    const calls = upstreamCalls();
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(calls.every((call) => call.projectIds.length === 1 && call.projectIds[0] === mine)).toBe(
      true,
    );
  });

  it("refuses a request without a token, and calls nothing upstream", async () => {
    const documentsBefore = documents.requests();
    const answer = await gateway.query<DocumentsAnswer>(DOCUMENTS);
    // The documents subgraph needs no token: its part answers, every job is null, and the
    // refusal (HTTP 401 from this subgraph) reaches the client as UNAUTHENTICATED errors on the
    // job fields (Hive Gateway itself answers 200, with `serviceName: "parse-jobs"` on them).
    expect(answer.data?.documents.edges.map((edge) => edge.node.parseJob)).toEqual(
      references.map(() => null),
    );
    expect(answer.errors?.length).toBeGreaterThan(0);
    expect(
      answer.errors?.some(
        (error) =>
          error.extensions?.code === "UNAUTHENTICATED" &&
          /Authentication required/.test(error.message ?? ""),
      ),
    ).toBe(true);
    expect(documents.requests() - documentsBefore).toBe(1);

    const root = await gateway.query<{ parseJobs: unknown }>(
      "{ parseJobs(first: 5) { edges { node { id } } } }",
    );
    expect(root.data?.parseJobs ?? null).toBeNull();
    expect(root.errors?.map((error) => error.extensions?.code)).toContain("UNAUTHENTICATED");
    expect(stack.demo.requests).toEqual([]);
  });

  it.each([
    [
      "a token signed with another secret",
      { projects: "x" },
      "another-secret-of-32-bytes-at-least!!",
      "UNAUTHENTICATED",
    ],
    ["a token without the projects claim", {}, SECRET, "FORBIDDEN"],
  ])("refuses %s, and calls nothing upstream", async (_name, claims, secret, code) => {
    const answer = await gateway.query<DocumentsAnswer>(DOCUMENTS, await bearer(claims, secret));
    expect(answer.data?.documents.edges.every((edge) => edge.node.parseJob === null)).toBe(true);
    expect(answer.errors?.map((error) => error.extensions?.code)).toContain(code);
    expect(stack.demo.requests).toEqual([]);
  });
});
