import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** The parts of a package-lock.json (lockfileVersion 3) entry this file reads. */
interface LockEntry {
  version?: string;
  dev?: boolean;
  link?: boolean;
  engines?: { node?: string } | string[];
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface PackageJson {
  engines: { node: string };
  dependencies: Record<string, string>;
  overrides?: Record<string, unknown>;
}

const readJson = (file: string): unknown =>
  JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), "utf8"));
const pkg = readJson("package.json") as PackageJson;
const lock = readJson("package-lock.json") as { packages: Record<string, LockEntry> };

type Version = [major: number, minor: number, patch: number];

const compare = (a: Version, b: Version): number => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/**
 * A partial version as engines ranges write it (`20`, `10.*`, `0.8.x`, `20.18.1`): the numbers
 * given, up to the first wildcard. A prerelease tag would need semver's full rules, so it is refused.
 */
function partial(text: string): number[] {
  if (text === "" || text === "*" || text === "x" || text === "X") return [];
  const match = /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$/.exec(text);
  if (match === null) throw new Error(`unsupported version in an engines range: "${text}"`);
  const parts: number[] = [];
  for (const part of match.slice(1)) {
    if (part === undefined || !/^\d+$/.test(part)) break;
    parts.push(Number(part));
  }
  return parts;
}

/** The lowest version a partial stands for, and the lowest above every version it stands for. */
function bounds(parts: number[]): { low: Version; above: Version } {
  const [major = 0, minor = 0, patch = 0] = parts;
  const low: Version = [major, minor, patch];
  if (parts.length === 0) return { low, above: [Number.POSITIVE_INFINITY, 0, 0] };
  if (parts.length === 1) return { low, above: [major + 1, 0, 0] };
  if (parts.length === 2) return { low, above: [major, minor + 1, 0] };
  return { low, above: [major, minor, patch + 1] };
}

/** Whether one comparator (`>=18`, `^20.19.0`, `~1.2`, `20`, `10.*`) admits a version. */
function comparatorAdmits(comparator: string, version: Version): boolean {
  const [, operator = "", text = ""] = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(comparator) ?? [];
  const parts = partial(text);
  const { low, above } = bounds(parts);
  const inside = compare(version, low) >= 0 && compare(version, above) < 0;
  switch (operator) {
    case "":
    case "=":
      return inside;
    case ">=":
      return compare(version, low) >= 0;
    case ">":
      return compare(version, above) >= 0;
    case "<":
      return compare(version, low) < 0;
    case "<=":
      return compare(version, above) < 0;
    case "~":
      return compare(version, low) >= 0 && compare(version, bounds(parts.slice(0, 2)).above) < 0;
    case "^": {
      // ^ keeps the leftmost non-zero number fixed (^0.8.1 is below 0.9.0, ^20.19.0 below 21).
      const fixed = parts.findIndex((part) => part !== 0);
      const kept = fixed === -1 ? parts : parts.slice(0, fixed + 1);
      return compare(version, low) >= 0 && compare(version, bounds(kept).above) < 0;
    }
    default:
      throw new Error(`unsupported comparator "${comparator}"`);
  }
}

/**
 * Whether a node-semver range admits a version: `||` between alternatives, spaces between the
 * comparators of one. Only the subset engines fields use; anything else (hyphen ranges,
 * prerelease tags) throws rather than guess, so a new form fails this test loudly.
 */
function rangeAdmits(range: string, version: Version): boolean {
  return range.split("||").some((alternative) => {
    if (/\s-\s/.test(alternative)) throw new Error(`unsupported hyphen range "${range}"`);
    // `>= 8` and `>=8` are the same comparator.
    const comparators = alternative
      .trim()
      .replace(/(>=|<=|>|<|=|\^|~)\s+/g, "$1")
      .split(/\s+/);
    return comparators.every((comparator) => comparatorAdmits(comparator, version));
  });
}

/** The oldest Node the project supports, from package.json's `engines.node` (`>=X.Y.Z`). */
function minimumNode(): Version {
  const match = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(pkg.engines.node.trim());
  if (match === null) throw new Error(`engines.node should be ">=X.Y.Z", is "${pkg.engines.node}"`);
  return [Number(match[1]), Number(match[2]), Number(match[3])];
}

/** Where Node's resolution, from the package at `from`, finds `name`: the nearest node_modules. */
function resolveIn(from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === "" ? "" : `${base}/`}node_modules/${name}`;
    if (lock.packages[candidate] !== undefined) return candidate;
    if (base === "") return undefined;
    const up = base.lastIndexOf("/node_modules/");
    base = up === -1 ? "" : base.slice(0, up);
  }
}

/**
 * The lock paths `npm ci --omit=dev` installs: everything reachable from package.json's
 * dependencies through dependencies, optional dependencies and required peers. Walked rather
 * than read off the lock's `dev` flags, so the flags are checked against it too.
 */
function runtimePackages(): Set<string> {
  const reached = new Set<string>();
  const pending: Array<[from: string, dependencies: Record<string, string>]> = [
    ["", pkg.dependencies],
  ];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [from, dependencies] = next;
    for (const name of Object.keys(dependencies)) {
      const location = resolveIn(from, name);
      if (location === undefined) throw new Error(`${from || "package.json"}: ${name} not in lock`);
      if (reached.has(location)) continue;
      reached.add(location);
      const entry = lock.packages[location] ?? {};
      const peers = Object.entries(entry.peerDependencies ?? {}).filter(
        ([peer]) => entry.peerDependenciesMeta?.[peer]?.optional !== true,
      );
      const optional = Object.entries(entry.optionalDependencies ?? {}).filter(
        // A platform binary for another OS is absent from the tree; npm skips it too.
        ([dependency]) => resolveIn(location, dependency) !== undefined,
      );
      pending.push([
        location,
        { ...entry.dependencies, ...Object.fromEntries(optional), ...Object.fromEntries(peers) },
      ]);
    }
  }
  return reached;
}

describe("rangeAdmits (the engines ranges the lock holds)", () => {
  it.each<[string, Version, boolean]>([
    [">=18", [20, 18, 1], true],
    [">= 0.4", [20, 18, 1], true],
    [">=22.15.0", [20, 18, 1], false],
    [">=20.18.1", [20, 18, 1], true],
    [">=20.18.1", [20, 18, 0], false],
    ["^20.19.0 || >=22.12.0", [20, 18, 1], false],
    ["^20.19.0 || >=22.12.0", [20, 20, 2], true],
    ["^20.19.0 || >=22.12.0", [21, 0, 0], false],
    [">=23.5.0 || ^22.13.0 || ^20.17.0", [20, 18, 1], true],
    ["20 || >=22", [20, 18, 1], true],
    ["20 || >=22", [21, 7, 0], false],
    ["18 || 20 || >=22", [19, 0, 0], false],
    ["10.* || >= 12.*", [11, 0, 0], false],
    ["6.* || 8.* || >= 10.*", [20, 18, 1], true],
    ["4.x || >=6.0.0", [5, 1, 0], false],
    [">=0.8.x", [0, 8, 0], true],
    ["^6 || ^7 || >=13.7", [13, 6, 9], false],
    ["^0.8.1", [0, 9, 0], false],
    ["~1.2.3", [1, 2, 9], true],
    ["~1.2.3", [1, 3, 0], false],
    [">1.2", [1, 2, 9], false],
    ["<=1.2", [1, 2, 9], true],
    ["*", [0, 0, 1], true],
  ])("%s admits %j: %s", (range, version, expected) => {
    expect(rangeAdmits(range, version)).toBe(expected);
  });

  it("refuses forms it does not know instead of guessing", () => {
    expect(() => rangeAdmits("1.0.0 - 2.0.0", [1, 5, 0])).toThrow(/hyphen/);
    expect(() => rangeAdmits(">=20.0.0-rc.1", [20, 0, 0])).toThrow(/unsupported/);
  });
});

describe("the install on the supported Node", () => {
  const minimum = minimumNode();
  const runtime = runtimePackages();

  it("walks to exactly the packages the lock marks as not dev-only", () => {
    const notDev = Object.keys(lock.packages).filter(
      (location) => location !== "" && lock.packages[location]?.dev !== true,
    );
    expect([...runtime].sort()).toEqual(notDev.sort());
  });

  /** Every lock entry among `locations` whose engines field refuses the minimum Node. */
  function refusingMinimum(locations: Iterable<string>): string[] {
    const refusing: string[] = [];
    for (const location of locations) {
      const entry = lock.packages[location] ?? {};
      // Old packages wrote engines as an array (`["node >= 0.4"]`); npm ignores that form.
      const range = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      // No engines field declares no limit: npm installs it anywhere without a warning.
      if (range !== undefined && !rangeAdmits(range, minimum)) {
        refusing.push(`${location}@${entry.version ?? "?"} wants node ${range}`);
      }
    }
    return refusing;
  }

  // npm prints EBADENGINE for each of these on the oldest Node the project claims to run on.
  it(`gives a runtime install (npm ci --omit=dev) nothing that refuses Node ${minimum.join(".")}`, () => {
    expect(refusingMinimum(runtime)).toEqual([]);
  });

  // The development install too: `npm install` on a fresh clone is the README's first command.
  it(`gives a development install (npm install) nothing that refuses Node ${minimum.join(".")}`, () => {
    const all = Object.keys(lock.packages).filter((location) => location !== "");
    expect(refusingMinimum(all)).toEqual([]);
  });

  it("holds exactly one graphql, the version the override pins", () => {
    const copies = Object.entries(lock.packages)
      .filter(
        ([location]) =>
          location === "node_modules/graphql" || location.endsWith("/node_modules/graphql"),
      )
      .map(([location, entry]) => `${location}@${entry.version ?? "?"}`);
    expect(copies).toEqual([`node_modules/graphql@${pkg.overrides?.graphql}`]);
  });

  it(".nvmrc names a Node major that package.json supports", () => {
    const nvmrc = readFileSync(new URL("../.nvmrc", import.meta.url), "utf8").trim();
    expect(nvmrc).toMatch(/^\d+$/);
    // nvm installs the newest release of that major, which is at or above the minimum.
    expect(Number(nvmrc)).toBeGreaterThanOrEqual(minimum[0]);
  });
});
