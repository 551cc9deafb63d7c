import { generateJobs } from "./data.js";
import type { DemoUpstream } from "./server.js";

/**
 * The jobs `npm start`'s demo keeps moving, so a `parseJobUpdates` subscription in GraphiQL has
 * something to show (the README's example watches these ids). Only src/index.ts starts the motion:
 * the demo upstream of the tests serves its seeded data unchanged unless a test moves a job.
 */
export const MOVING_JOB_IDS = ["pjb-live-demo-1", "pjb-live-demo-2", "pjb-live-demo-3"] as const;

/** Steps in one round: the jobs start PENDING, move on one step at a time, then rest. */
const ROUND_STEPS = 9;

/**
 * Starts moving the jobs every `stepMs`: each round they are submitted afresh (PENDING, created
 * now), turn RUNNING one after the other, then finish (the last one FAILED, the others
 * COMPLETED), and rest until the next round. A round takes `ROUND_STEPS × stepMs` (45 s by
 * default). Re-submitting under the same ids is a demo's licence: it lets one pasted subscription
 * be run again each round. Returns the function that stops it.
 */
export function startDemoMotion(demo: DemoUpstream, stepMs = 5000): () => void {
  const seeded = generateJobs()[0];
  const projectId = seeded?.json.project_id ?? "prj-demo";
  const organizationId = seeded?.organizationId ?? "org-demo-alpha";
  let step = 0;
  const move = () => {
    const now = new Date().toISOString();
    const at = step % ROUND_STEPS;
    step++;
    if (at === 0) {
      demo.removeJobs(MOVING_JOB_IDS);
      demo.addJobs(
        MOVING_JOB_IDS.map((id, index) => ({
          json: {
            id,
            project_id: projectId,
            status: "PENDING",
            created_at: now,
            name: `Live demo document ${index + 1}`,
            tier: "fast",
          },
          organizationId,
        })),
      );
      return;
    }
    MOVING_JOB_IDS.forEach((id, index) => {
      if (at === 1 + index) demo.updateJob(id, { status: "RUNNING", updated_at: now });
      if (at === 3 + index) {
        const failed = index === MOVING_JOB_IDS.length - 1;
        demo.updateJob(id, {
          status: failed ? "FAILED" : "COMPLETED",
          updated_at: now,
          error_message: failed ? "Could not parse page 2: unsupported encoding" : undefined,
        });
      }
    });
  };
  move();
  const timer = setInterval(move, stepMs);
  // The demo must never keep the process alive on its own.
  timer.unref();
  return () => clearInterval(timer);
}
