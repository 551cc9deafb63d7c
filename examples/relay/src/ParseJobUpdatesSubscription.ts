import { graphql } from "relay-runtime";

/**
 * Watches jobs until they finish. Each event updates the job's record in the store, so every
 * fragment reading it (a `ParseJobRow_job` on screen) shows the new status.
 */
export const ParseJobUpdatesSubscription = graphql`
  subscription ParseJobUpdatesSubscription($ids: [ID!]!) {
    parseJobUpdates(ids: $ids) {
      id
      status
      updatedAt
    }
  }
`;
