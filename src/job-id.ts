/**
 * Job ids are opaque upstream strings (`pjb-…`, or plain UUIDs for older jobs). The gateway only
 * refuses what can never be an id, so that such a lookup costs no upstream call: empty strings,
 * whitespace, URL syntax and absurd lengths.
 */
const PLAUSIBLE_JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** True when `id` could be a LlamaCloud job id. */
export function isPlausibleJobId(id: string): boolean {
  return PLAUSIBLE_JOB_ID.test(id);
}
