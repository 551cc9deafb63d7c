import type { DemoUpstream } from "../src/demo-upstream/server.js";

/** One operation pattern: how many upstream calls it took against the fewest it could take. */
export interface CallCase {
  name: string;
  actual: number | null;
  ideal: number | null;
  /** Whether the gateway also answered correctly (every job, once, in order). */
  correct: boolean | null;
  note?: string;
}

type Post = (query: string, variables?: Record<string, unknown>) => Promise<GraphQLBody>;
interface GraphQLBody {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

/** Posts operations to a gateway's /graphql. */
export function poster(gatewayUrl: string): Post {
  return async (query, variables) => {
    const response = await fetch(gatewayUrl, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLBody;
  };
}

/** Every job id of the listing in REST order, read from the upstream directly (uncounted). */
export async function listAllIds(upstreamUrl: string, apiKey: string): Promise<string[]> {
  const ids: string[] = [];
  let token: string | undefined;
  do {
    const url = `${upstreamUrl}/api/v2/parse?page_size=100${token ? `&page_token=${token}` : ""}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
    if (!response.ok) throw new Error(`the upstream answered ${response.status} to ${url}`);
    const body = (await response.json()) as {
      items: Array<{ id: string }>;
      next_page_token?: string;
    };
    ids.push(...body.items.map((item) => item.id));
    token = body.next_page_token;
  } while (token);
  return ids;
}

const WALK = `query Walk($first: Int, $after: String) {
  parseJobs(first: $first, after: $after) {
    edges { node { id } }
    pageInfo { hasNextPage endCursor }
  }
}`;

interface WalkPage {
  edges: Array<{ node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Calls the least a client can cost: each page of `first` needs ceil(size / cap) calls. */
function idealWalk(total: number, first: number, cap: number): number {
  let calls = 0;
  for (let left = total; left > 0; left -= first) calls += Math.ceil(Math.min(first, left) / cap);
  return Math.max(calls, 1);
}

/** Walks every page of the listing through the gateway. */
export async function walkCase(
  post: Post,
  demo: DemoUpstream,
  allIds: string[],
  first: number,
  cap: number,
  name: string,
): Promise<CallCase> {
  demo.reset();
  const seen: string[] = [];
  let after: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const body = await post(WALK, { first, after });
    const connection = body.data?.parseJobs as WalkPage | undefined;
    if (!connection || body.errors) return { name, actual: null, ideal: null, correct: false };
    seen.push(...connection.edges.map((edge) => edge.node.id));
    if (!connection.pageInfo.hasNextPage) break;
    after = connection.pageInfo.endCursor;
  }
  return {
    name,
    actual: demo.listCalls(),
    ideal: idealWalk(allIds.length, first, cap),
    correct: seen.join() === allIds.join(),
  };
}

/**
 * `ids.length` lookups in one operation, shaped like a pinned-jobs dashboard: 40 aliased
 * `parseJob` fields (the alias limit leaves room for them) and `nodes(ids:)` for the rest. At best
 * one call per `cap` ids.
 */
export async function lookupCase(
  post: Post,
  demo: DemoUpstream,
  ids: string[],
  cap: number,
  name: string,
): Promise<CallCase> {
  demo.reset();
  const aliased = ids.slice(0, 40);
  const listed = ids.slice(40);
  const fields = aliased.map(
    (id, index) => `j${index}: parseJob(id: ${JSON.stringify(id)}) { id }`,
  );
  const body = await post(
    `query Lookups($ids: [ID!]!) { ${fields.join("\n")} nodes(ids: $ids) { id } }`,
    { ids: listed },
  );
  const answered = [
    ...aliased.map((_, index) => (body.data?.[`j${index}`] as { id?: string } | null)?.id),
    ...((body.data?.nodes as Array<{ id?: string } | null> | undefined) ?? []).map(
      (node) => node?.id,
    ),
  ];
  return {
    name,
    actual: demo.listCalls(),
    ideal: Math.ceil(ids.length / cap),
    correct: body.errors === undefined && answered.join() === ids.join(),
  };
}

// ---------------------------------------------------------------------------------------------
// FEDERATION: 100 entities in one `_entities` operation. Measured only when the schema has
// `_entities` (the federation issue adds it); until then the case reads "n/a".
// ---------------------------------------------------------------------------------------------
const ENTITIES = `query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ParseJob { id } }
}`;

/** 100 `ParseJob` representations resolved through `_entities`: one upstream call at best. */
export async function entitiesCase(
  post: Post,
  demo: DemoUpstream,
  ids: string[],
  cap: number,
): Promise<CallCase> {
  const name = `${ids.length} federation entities`;
  const fields = await post("{ __schema { queryType { fields { name } } } }");
  const schema = fields.data?.__schema as
    | { queryType: { fields: Array<{ name: string }> } }
    | undefined;
  if (!schema?.queryType.fields.some((field) => field.name === "_entities")) {
    return { name, actual: null, ideal: null, correct: null, note: "n/a (federation not present)" };
  }
  demo.reset();
  const representations = ids.map((id) => ({ __typename: "ParseJob", id }));
  const body = await post(ENTITIES, { representations });
  const entities = (body.data?._entities as Array<{ id?: string } | null> | undefined) ?? [];
  return {
    name,
    actual: demo.listCalls(),
    ideal: Math.ceil(ids.length / cap),
    correct: body.errors === undefined && entities.map((e) => e?.id).join() === ids.join(),
  };
}
