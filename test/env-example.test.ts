import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), "utf8");

interface Row {
  name: string;
  /** The default cell as written: `` `4000` ``, `unset`, `` `true` (`false` in production) ``. */
  written: string;
}

/** The rows `| \`NAME\` | default | meaning |` of the README's Configuration section. */
function configurationRows(): Row[] {
  const readme = read("README.md");
  const start = readme.indexOf("\n## Configuration\n");
  if (start === -1) throw new Error("README.md has no ## Configuration section");
  const end = readme.indexOf("\n## ", start + 1);
  const section = readme.slice(start, end === -1 ? undefined : end);
  const rows: Row[] = [];
  for (const match of section.matchAll(/^\| `([A-Z][A-Z0-9_]*)` +\| ([^|]+?) +\|[^|]*\|$/gm)) {
    const [, name = "", written = ""] = match;
    rows.push({ name, written });
  }
  return rows;
}

interface Line {
  name: string;
  value: string;
  commented: boolean;
}

/** Every `NAME=value` line of .env.example, and whether it is commented out (`# NAME=value`). */
function exampleLines(): Line[] {
  const lines: Line[] = [];
  for (const match of read(".env.example").matchAll(/^(# )?([A-Z][A-Z0-9_]*)=(.*)$/gm)) {
    const [, hash, name = "", value = ""] = match;
    lines.push({ name, value, commented: hash !== undefined });
  }
  return lines;
}

const rows = configurationRows();
const lines = exampleLines();
const lineOf = (name: string) => lines.find((line) => line.name === name);

describe(".env.example against the README's configuration table", () => {
  it("finds the table", () => {
    // A table reformatted out of the pattern above would otherwise pass everything vacuously.
    expect(rows.length).toBeGreaterThan(30);
  });

  it("names every variable of the table, once, and no other", () => {
    const names = lines.map((line) => line.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(rows.map((row) => row.name).sort());
  });

  it.each(rows)("$name: shows the default the README gives", ({ name, written }) => {
    const line = lineOf(name);
    expect(line).toBeDefined();
    if (line === undefined) return;
    // The first backticked value is the default (`0` (off), `true` (`false` in production)).
    const plain = /^`([^`]+)`/.exec(written)?.[1];
    if (plain !== undefined) expect(line.value).toBe(plain);
    // Left commented: nothing to set by default, or a default that NODE_ENV changes (writing it
    // out would pin the development value in production).
    if (written.startsWith("unset") || written.includes("production")) {
      expect(line.commented).toBe(true);
    }
  });

  it("its uncommented lines load, and are exactly the defaults", () => {
    const env = Object.fromEntries(
      lines.filter((line) => !line.commented).map((line) => [line.name, line.value]),
    );
    expect(Object.keys(env).length).toBeGreaterThan(20);
    // Both configurations are read the same way, so any value that is not the code's default
    // (a README row out of date) shows up as a difference here.
    expect(loadConfig(env)).toEqual(loadConfig({}));
  });
});
