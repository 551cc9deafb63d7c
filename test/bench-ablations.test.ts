import { execFileSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const patches = readdirSync(new URL("../bench/ablations/", import.meta.url)).filter((file) =>
  file.endsWith(".patch"),
);

// `npm run bench` rebuilds the gateway without each optimisation from these patches; one that no
// longer applies stops the bench (and CI's smoke run). Checked here, where a change to src/ that
// breaks one shows up with the tests that change runs.
describe("bench/ablations", () => {
  it("has patches", () => {
    expect(patches.length).toBeGreaterThan(0);
  });

  it.each(patches)("%s still applies to src/", (patch) => {
    expect(() =>
      execFileSync("git", ["apply", "--check", `bench/ablations/${patch}`], {
        cwd: root,
        stdio: ["ignore", "ignore", "pipe"],
      }),
    ).not.toThrow();
  });
});
