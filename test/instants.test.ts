import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalInstant } from "../src/date-time.js";
import { IdsQuery } from "./support/operations.js";
import { type Stack, startStack } from "./support/stack.js";

/**
 * A DateTime filter names an instant, not a spelling: clients that re-serialise a Date (adding
 * `.000`, or writing their own offset) must get the same filter, and so keep their cursors.
 */

/** A seeded PRNG (a failure reproduces): an integer below `below`. */
function seeded(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (Math.imul(state ^ (state >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0;
    state ^= state >>> 12;
    return (state >>> 0) % below;
  };
}

const pad = (value: number, width = 2) => String(value).padStart(width, "0");

/** An instant as whole epoch seconds and microseconds. */
interface Instant {
  seconds: number;
  micros: number;
}

/** The one spelling every way of writing `instant` must come to. */
function canonical({ seconds, micros }: Instant): string {
  const whole = new Date(seconds * 1000).toISOString().slice(0, 19);
  const fraction = pad(micros, 6).replace(/0+$/, "");
  return fraction === "" ? `${whole}Z` : `${whole}.${fraction}Z`;
}

/** `instant` written in a random but equivalent way: offset, fraction padding, separators, case. */
function spell({ seconds, micros }: Instant, random: (below: number) => number): string {
  // Offsets from -14:00 to +14:00 in quarter hours, a third of the time a zero one.
  const offset = random(3) === 0 ? 0 : (random(113) - 56) * 15;
  const local = new Date((seconds + offset * 60) * 1000);
  const date = `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const significant = pad(micros, 6).replace(/0+$/, "");
  const width = significant.length + random(10 - significant.length);
  const digits = significant.padEnd(width, "0");
  const fraction = width === 0 ? "" : `${random(4) === 0 ? "," : "."}${digits}`;
  const separator = ["T", "t", " "][random(3)] as string;
  const abs = Math.abs(offset);
  const hhmm = [pad(Math.floor(abs / 60)), pad(abs % 60)];
  const zone =
    offset === 0
      ? (["Z", "z", "+00:00", "-00:00", "+0000"][random(5)] as string)
      : `${offset < 0 ? "-" : "+"}${hhmm.join(random(2) === 0 ? ":" : "")}`;
  return `${date}${separator}${time}${fraction}${zone}`;
}

/** A random instant from 1971 to 2099, its fraction 0 to 6 significant digits long. */
function randomInstant(random: (below: number) => number): Instant {
  const seconds = 31_536_000 + random(4_070_908_800 - 31_536_000);
  const digits = random(7);
  const micros = digits === 0 ? 0 : random(10 ** digits) * 10 ** (6 - digits);
  return { seconds, micros };
}

describe("canonicalInstant", () => {
  it("gives every spelling of an instant one canonical form", () => {
    const random = seeded(20261120);
    for (let run = 0; run < 2000; run++) {
      const instant = randomInstant(random);
      const expected = canonical(instant);
      for (let spelling = 0; spelling < 6; spelling++) {
        const written = spell(instant, random);
        expect(canonicalInstant(written), written).toBe(expected);
      }
    }
  });

  it("keeps different instants apart, down to one microsecond", () => {
    const random = seeded(7);
    for (let run = 0; run < 2000; run++) {
      const instant = randomInstant(random);
      const later: Instant =
        instant.micros === 999_999
          ? { seconds: instant.seconds + 1, micros: 0 }
          : { seconds: instant.seconds, micros: instant.micros + 1 };
      expect(canonicalInstant(spell(later, random))).not.toBe(
        canonicalInstant(spell(instant, random)),
      );
    }
  });

  it.each([
    ["2026-11-20T00:00:00Z", "2026-11-20T00:00:00Z"],
    ["2026-11-20T00:00:00.000Z", "2026-11-20T00:00:00Z"],
    ["2026-11-20T01:00:00+01:00", "2026-11-20T00:00:00Z"],
    ["2026-11-20t00:00:00.000000000z", "2026-11-20T00:00:00Z"],
    ["2026-11-20T00:00:00.120Z", "2026-11-20T00:00:00.12Z"],
    ["2026-11-20T00:00:00.123456000Z", "2026-11-20T00:00:00.123456Z"],
  ])("%s → %s", (written, expected) => {
    expect(canonicalInstant(written)).toBe(expected);
  });

  it.each([
    "2026-11-20T00:00:00.1234567Z",
    "2026-11-20T00:00:00.000000001Z",
    "2026-11-20T00:00:00.123456789+02:00",
  ])("refuses %s: finer than microseconds, which LlamaCloud keeps", (written) => {
    expect(() => canonicalInstant(written)).toThrow(
      `${JSON.stringify(written)} has ${written.replace(/^.*\.(\d+).*$/, "$1").replace(/0+$/, "").length} significant fraction digits; LlamaCloud keeps at most 6`,
    );
  });
});

describe("DateTime filters over HTTP", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.close());

  const seeded2026 = "2026-05-31T12:00:00Z";
  const spellings = [
    seeded2026,
    "2026-05-31T12:00:00.000Z",
    "2026-05-31T14:00:00+02:00",
    "2026-05-31t12:00:00.000000000z",
    "2026-05-31T07:30:00.0-04:30",
  ];

  async function ids(after: string | null, on: string, first = 7) {
    const answer = await stack.query(IdsQuery, {
      first,
      after,
      filter: { createdAtOnOrAfter: on },
    });
    return answer;
  }

  it("sends one canonical value upstream and lets cursors work across spellings", async () => {
    const reference = await ids(null, seeded2026, 30);
    const all = reference.data?.parseJobs.edges.map((edge) => edge?.node.id) ?? [];
    expect(all.length).toBeGreaterThan(20);
    for (const first of spellings) {
      for (const then of spellings) {
        const page = await ids(null, first);
        const edges = page.data?.parseJobs.edges ?? [];
        for (const cursor of [edges[3]?.cursor, page.data?.parseJobs.pageInfo.endCursor]) {
          const next = await ids(cursor ?? null, then);
          expect(next.errors, `${first} then ${then}`).toBeUndefined();
          const skipped = cursor === edges[3]?.cursor ? 4 : 7;
          expect(next.data?.parseJobs.edges.map((edge) => edge?.node.id)).toEqual(
            all.slice(skipped, skipped + 7),
          );
        }
      }
    }
    const sent = stack.demo.requests.map((request) => request.query.get("created_at_on_or_after"));
    expect(new Set(sent)).toEqual(new Set([seeded2026]));
  });

  it("refuses a cursor under a different instant, however close", async () => {
    const page = await ids(null, seeded2026);
    const cursor = page.data?.parseJobs.pageInfo.endCursor ?? null;
    for (const other of ["2026-05-31T12:00:00.000001Z", "2026-05-31T12:00:00+02:00"]) {
      const answer = await ids(cursor, other);
      expect(answer.errors?.[0]?.message).toContain("issued for a different filter");
      expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    }
  });

  it("refuses more than microseconds with a clear message and no call", async () => {
    stack.demo.reset();
    const answer = await ids(null, "2026-05-31T12:00:00.0000001Z");
    expect(answer.data ?? null).toBeNull();
    expect(answer.errors?.[0]?.message).toContain(
      '"2026-05-31T12:00:00.0000001Z" has 7 significant fraction digits; LlamaCloud keeps at most 6',
    );
    expect(answer.errors?.[0]?.extensions?.code).toBe("BAD_USER_INPUT");
    expect(stack.demo.listCalls()).toBe(0);
  });
});
