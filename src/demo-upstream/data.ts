/**
 * Deterministic demo data for the embedded upstream: the same seed gives the same jobs on every
 * machine. It carries what the real service is known to send: every status, several projects in
 * two organizations, null and missing optional fields, tied creation times, `+00:00` timestamps
 * with microseconds next to `Z` ones with milliseconds, plain-UUID ids of older jobs, and fields
 * newer API versions add.
 */

/** A job as the demo stores it: the JSON it serves, plus the organization it filters on. */
export interface DemoJob {
  readonly json: Readonly<Record<string, unknown>>;
  readonly organizationId: string;
}

const STATUSES = ["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"] as const;
const TIERS = ["fast", "cost_effective", "agentic", "agentic_plus"] as const;
const DOCUMENTS = [
  "Q4 Financial Report",
  "Invoice",
  "Lease agreement",
  "Board minutes",
  "Datasheet",
];

/** A small seeded PRNG (mulberry32): enough spread for demo data, identical everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function uuid(next: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** Formats an instant (µs since the epoch) the two ways the upstream is seen to. */
function timestamp(micros: number, style: "micros-offset" | "millis-z"): string {
  const seconds = new Date(Math.floor(micros / 1e6) * 1000).toISOString().slice(0, 19);
  const fraction = String(micros % 1e6).padStart(6, "0");
  return style === "micros-offset"
    ? `${seconds}.${fraction}+00:00`
    : `${seconds}.${fraction.slice(0, 3)}Z`;
}

/** Builds `count` jobs from `seed`, unsorted. */
export function generateJobs(seed = 1, count = 320): DemoJob[] {
  const next = random(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)] as T;
  const projects = Array.from({ length: 5 }, (_, i) => ({
    id: `prj-${uuid(next)}`,
    organizationId: i < 3 ? "org-demo-alpha" : "org-demo-beta",
  }));
  const jobs: DemoJob[] = [];
  // Start at 2026-06-01T12:00:00Z and walk back in time, a few minutes per job.
  let createdMicros = Date.UTC(2026, 5, 1, 12) * 1000 + 123_456;
  for (let i = 0; i < count; i++) {
    // Every tenth job shares the previous job's creation time: ties must not break paging.
    if (i % 10 !== 5) createdMicros -= Math.floor(next() * 600e6) + 1_000_017;
    const status = STATUSES[i % STATUSES.length] as (typeof STATUSES)[number];
    const project = pick(projects);
    const style = i % 3 === 0 ? "millis-z" : "micros-offset";
    const json: Record<string, unknown> = {
      id: i % 7 === 3 ? uuid(next) : `pjb-${uuid(next)}`,
      project_id: project.id,
      status,
    };
    // About one job in twenty has no creation time (null or missing), as older records do.
    if (i % 20 === 13) json.created_at = null;
    else if (i % 20 !== 17) json.created_at = timestamp(createdMicros, style);
    if (status !== "PENDING") json.updated_at = timestamp(createdMicros + 42_000_000 + i, style);
    else if (i % 2 === 0) json.updated_at = null;
    if (status === "FAILED")
      json.error_message = `Could not parse page ${1 + (i % 9)}: unsupported encoding`;
    if (i % 6 === 1) json.name = null;
    else if (i % 6 !== 4) json.name = `${pick(DOCUMENTS)} ${i + 1}`;
    if (i % 11 !== 10) json.tier = pick(TIERS);
    // Fields of newer API versions, which a client of this version must ignore.
    if (i % 4 === 0) json.usage = { pages: 1 + (i % 17), credits: (i % 17) * 3 };
    if (i % 9 === 0) json.user_metadata = { source: "demo", batch: i % 5 };
    jobs.push({ json, organizationId: project.organizationId });
  }
  return jobs;
}
