import { builder } from "./builder.js";
import "./date-time.js";
import "./parse-job.js";
import "./parse-jobs.js";

/** The executable schema, built once per process. */
export const schema = builder.toSchema({ sortSchema: true });
