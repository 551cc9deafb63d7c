import DataLoader from "dataloader";
import { isPlausibleJobId } from "../job-id.js";
import { repeatedToken } from "../pagination.js";
import { MAX_FILTER_QUERY_LENGTH } from "../rest-params.js";
import { traceLookupBatch } from "../tracing/index.js";
import type { ListRequest, RestParams } from "../upstream/client.js";
import type { ParseJobRecord } from "../upstream/job-record.js";
import { isUnreadable, type ListPage } from "../upstream/list-response.js";

/** Loads jobs by upstream id: a job, or null when it does not exist. */
export type JobLoader = DataLoader<string, ParseJobRecord | null>;

/**
 * One loader per request, shared by `parseJob`, `node`, `nodes` and federation entities.
 * Every id asked for while an operation resolves lands in one batch: the batch is dispatched on
 * `setImmediate`, after all the promise callbacks of the current turn, so fields that resolve a
 * tick later (inside `nodes`, say) still join it.
 */
export function createJobLoader(
  listParseJobs: (request: ListRequest) => Promise<ListPage>,
  batchSize: number,
  onBatch?: (size: number) => void,
  projects?: readonly string[],
): JobLoader {
  return new DataLoader(
    (ids) => {
      onBatch?.(ids.length);
      // With tracing on, a span per batch: the ids it asks for and the upstream calls it makes.
      return traceLookupBatch(ids.length, listParseJobs, (list) => loadJobs(list, ids, projects));
    },
    {
      maxBatchSize: batchSize,
      batchScheduleFn: (dispatch) => setImmediate(dispatch),
    },
  );
}

/**
 * DataLoader's batch function: answers in the order of `ids`, an Error where a chunk failed.
 * A caller limited to `projects` asks once per project, each call with its `project_id` (the
 * endpoint takes one), so the upstream itself never hands over another project's job.
 */
async function loadJobs(
  listParseJobs: (request: ListRequest) => Promise<ListPage>,
  ids: readonly string[],
  projects: readonly string[] | undefined,
): Promise<Array<ParseJobRecord | null | Error>> {
  // A malformed id cannot exist upstream: it is answered null here and costs no call.
  const askable = ids.filter(isPlausibleJobId);
  const scopes: RestParams = projects?.map((project) => ["project_id", project] as const) ?? [];
  const found = new Map<string, ParseJobRecord>();
  const failed = new Map<string, Error>();
  await Promise.all(
    chunkByQueryLength(askable).flatMap((chunk) =>
      // No projects at all (a router composing) asks for nothing: every id is answered null.
      (projects === undefined ? [undefined] : scopes).map(async (scope) => {
        const { jobs, failure } = await lookupChunk(listParseJobs, chunk, scope);
        for (const job of jobs) found.set(job.id, job);
        // The failure lands on this chunk's ids, and on no others: whether they exist (in this
        // project) is unknown, so unless another call found them they are not answered null.
        if (failure !== undefined) for (const id of chunk) failed.set(id, failure);
      }),
    ),
  );
  return ids.map((id) => found.get(id) ?? failed.get(id) ?? null);
}

/**
 * Asks for `ids` with `page_size` set to their number, then follows page tokens while some are
 * still missing (the upstream may cap a page silently), asking each time only for the remainder.
 * Results are matched by id, never by position, and only the ids asked for are kept. A failure
 * (the request's call budget running out half way, say) keeps the jobs found before it.
 */
async function lookupChunk(
  listParseJobs: (request: ListRequest) => Promise<ListPage>,
  ids: readonly string[],
  scope: RestParams[number] | undefined,
): Promise<{ jobs: ParseJobRecord[]; failure?: Error }> {
  const wanted = new Set(ids);
  const jobs: ParseJobRecord[] = [];
  const filter: RestParams = [
    ...ids.map((id) => ["job_ids", id] as const),
    ...(scope === undefined ? [] : [scope]),
  ];
  let pageToken: string | null = null;
  try {
    do {
      const page: ListPage = await listParseJobs({
        filter,
        pageSize: wanted.size,
        pageToken,
      });
      for (const item of page.items) {
        if (isUnreadable(item) || !wanted.has(item.id)) continue;
        wanted.delete(item.id);
        jobs.push(item);
      }
      if (page.items.length === 0) break;
      if (page.nextPageToken !== null && page.nextPageToken === pageToken) throw repeatedToken();
      pageToken = page.nextPageToken;
    } while (pageToken !== null && wanted.size > 0);
  } catch (error) {
    return { jobs, failure: error instanceof Error ? error : new Error(String(error)) };
  }
  return { jobs };
}

/** Splits ids so that each chunk's `job_ids=…&job_ids=…` stays under the URL length budget. */
export function chunkByQueryLength(ids: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let current: string[] = [];
  let length = 0;
  for (const id of ids) {
    const cost = "&job_ids=".length + encodeURIComponent(id).length;
    if (current.length > 0 && length + cost > MAX_FILTER_QUERY_LENGTH) {
      chunks.push(current);
      current = [];
      length = 0;
    }
    current.push(id);
    length += cost;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
