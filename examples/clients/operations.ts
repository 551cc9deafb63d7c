import { graphql } from "../gql/index.js";

/** One page of jobs; pass `pageInfo.endCursor` back as `after` for the next one. */
export const ParseJobsPage = graphql(`
  query ParseJobsPage($first: Int, $after: String, $filter: ParseJobFilter) {
    parseJobs(first: $first, after: $after, filter: $filter) {
      edges {
        cursor
        node {
          id
          name
          status
          createdAt
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/** One job again, by the id a list gave it: the Relay-style refetch every client can do. */
export const ParseJobById = graphql(`
  query ParseJobById($id: ID!) {
    node(id: $id) {
      id
      ... on ParseJob {
        name
        status
        updatedAt
      }
    }
  }
`);

/** Each job's state now, then each change; the stream completes once every job has finished. */
export const ParseJobUpdates = graphql(`
  subscription ParseJobUpdates($ids: [ID!]!) {
    parseJobUpdates(ids: $ids) {
      id
      status
      updatedAt
      errorMessage
    }
  }
`);
