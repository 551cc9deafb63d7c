import { scopeFilter } from "./callers/scope.js";
import type { GatewayContext } from "./context.js";
import { cursorEncoder, decodeCursor, END, type Position, START } from "./cursor.js";
import { readWindow, type Window } from "./pagination.js";
import { filterToRestParams, type ParseJobFilterInput, type RestFilter } from "./rest-params.js";
import { badUserInput, GatewayError } from "./upstream/errors.js";
import type { ParseJobRecord } from "./upstream/job-record.js";
import { isUnreadable, type UnreadableItem } from "./upstream/list-response.js";

/** The arguments of `Query.parseJobs`. */
export interface ParseJobsArgs {
  first?: number | null;
  after?: string | null;
  filter?: ParseJobFilterInput | null;
}

export const DEFAULT_FIRST = 20;

/**
 * One edge: a job and the position just after it, encoded into a cursor only when asked for.
 * Both are properties, read by the executor without a resolver call.
 */
export class ParseJobsEdge {
  /** The job; for an item the gateway cannot read, the error that nulls this edge alone. */
  readonly node: ParseJobRecord | GatewayError;
  private encoded: string | undefined;

  constructor(
    item: ParseJobRecord | UnreadableItem,
    private readonly after: Position,
    private readonly encode: (position: Position) => string,
  ) {
    this.node = isUnreadable(item)
      ? new GatewayError(
          "UPSTREAM_BAD_RESPONSE",
          `LlamaCloud sent an unreadable job: ${item.unreadable}`,
        )
      : item;
  }

  /** Encoded once, shared by `edges.cursor` and `pageInfo`. */
  get cursor(): string {
    this.encoded ??= this.encode(this.after);
    return this.encoded;
  }
}

/** What `pageInfo` resolves to. */
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}

/**
 * `pageInfo` of a page with edges. Its cursors are getters, so they are encoded only when
 * selected, and the edge's own cursor is reused.
 *
 * A class, not an object literal with `get` accessors: V8 builds such a literal through a slow
 * path whose objects end up in the old generation, and, dead or not, they kept each request's
 * edges (and with them its whole page and result) alive through the next scavenge, which then
 * promoted them all. That made every scavenge copy ≈ 0.5 MB and last ≈ 2.3 ms instead of 0.8, and
 * cost a fifth of the throughput (BENCHMARKS.md, "What survives a scavenge").
 */
class EdgesPageInfo implements PageInfo {
  constructor(
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    private readonly edges: readonly ParseJobsEdge[],
  ) {}

  get startCursor(): string | null {
    return this.edges[0]?.cursor ?? null;
  }

  get endCursor(): string | null {
    return this.edges[this.edges.length - 1]?.cursor ?? null;
  }
}

/**
 * One `parseJobs` page, fetched lazily: edges, pageInfo and totalCount share one upstream read,
 * and `first: 0` reads the upstream only if `hasNextPage` or `totalCount` is selected.
 */
export class ParseJobsPage {
  private window: Promise<Window> | undefined;
  private edgeList: Promise<ParseJobsEdge[]> | undefined;
  private readonly probes = new Map<Position, Promise<Window>>();

  private constructor(
    private readonly context: GatewayContext,
    private readonly filter: RestFilter,
    private readonly start: Position,
    private readonly first: number,
    private readonly hasPreviousPage: boolean,
  ) {}

  /** Checks the arguments before any upstream call; every mistake is a BAD_USER_INPUT. */
  static fromArgs(args: ParseJobsArgs, context: GatewayContext): ParseJobsPage {
    const max = context.config.maxPageSize;
    const first = args.first ?? DEFAULT_FIRST;
    if (first < 0 || first > max) {
      throw badUserInput(`first must be from 0 to ${max} (got ${first})`);
    }
    const filter = filterToRestParams(scopeFilter(args.filter, context.caller.projects));
    const start = args.after == null ? START : decodeCursor(args.after, filter.key, max);
    return new ParseJobsPage(context, filter, start, first, args.after != null);
  }

  edges(): Promise<ParseJobsEdge[]> {
    this.edgeList ??= this.read().then(({ items }) => {
      // One encoder per page: the edges of an upstream page share most of their cursor.
      const encode = cursorEncoder(this.filter.key);
      return items.map(({ item, after }) => new ParseJobsEdge(item, after, encode));
    });
    return this.edgeList;
  }

  async pageInfo(): Promise<PageInfo> {
    if (this.first === 0) {
      const hasNextPage = this.start !== END && (await this.probe(this.start)).items.length > 0;
      return {
        hasNextPage,
        hasPreviousPage: this.hasPreviousPage,
        startCursor: null,
        endCursor: null,
      };
    }
    const { hasNextPage } = await this.read();
    return new EdgesPageInfo(hasNextPage, this.hasPreviousPage, await this.edges());
  }

  /** The upstream's estimate; read from a page already fetched when there is one. */
  async totalCount(): Promise<number | null> {
    if (this.filter.matchesNothing) return 0;
    const window = await this.read();
    if (window.fetched) return window.totalSize;
    return (await this.probe(this.start === END ? START : this.start)).totalSize;
  }

  private read(): Promise<Window> {
    this.window ??= this.fetch(this.start, this.first);
    return this.window;
  }

  /** Reads one item from `from`: enough to learn whether any exist, and the total. */
  private probe(from: Position): Promise<Window> {
    let probe = this.probes.get(from);
    if (!probe) {
      probe = this.fetch(from, 1);
      this.probes.set(from, probe);
    }
    return probe;
  }

  private fetch(from: Position, first: number): Promise<Window> {
    if (this.filter.matchesNothing) {
      return Promise.resolve({ items: [], hasNextPage: false, totalSize: 0, fetched: false });
    }
    const fetchPage = (pageToken: string | null, pageSize: number) =>
      this.context.listParseJobs({ filter: this.filter.params, pageSize, pageToken });
    return readWindow(fetchPage, from, first, this.context.config.maxPageSize);
  }
}
