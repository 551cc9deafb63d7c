/** The job fields every federation test selects, in GraphQL names. */
export const JOB_FIELDS = "id projectId status createdAt updatedAt errorMessage name tier";

/** A job as the REST endpoint lists it. */
export type RestJob = Record<string, unknown>;

/** What GraphQL should show for a job the REST endpoint lists (timestamps in UTC with `Z`). */
export function asGraphQL(job: RestJob) {
  const text = (value: unknown) => (value == null ? null : String(value));
  return {
    id: job.id,
    projectId: job.project_id,
    status: String(job.status).toUpperCase(),
    createdAt: text(job.created_at)?.replace("+00:00", "Z") ?? null,
    updatedAt: text(job.updated_at)?.replace("+00:00", "Z") ?? null,
    errorMessage: text(job.error_message),
    name: text(job.name),
    tier: text(job.tier),
  };
}
