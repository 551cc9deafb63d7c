import { graphql } from "../gql/index.js";

/** A page of jobs with every field, as the tests and the README's example query ask for it. */
export const PageQuery = graphql(`
  query Page($first: Int, $after: String, $filter: ParseJobFilter) {
    parseJobs(first: $first, after: $after, filter: $filter) {
      totalCount
      edges {
        cursor
        node {
          id
          projectId
          status
          createdAt
          updatedAt
          errorMessage
          name
          tier
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

/** Only what paging needs: ids and cursors, no totalCount. */
export const IdsQuery = graphql(`
  query Ids($first: Int, $after: String, $filter: ParseJobFilter) {
    parseJobs(first: $first, after: $after, filter: $filter) {
      edges {
        cursor
        node {
          id
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

/** A Relay page query as a client writes it: a row fragment, pageInfo and totalCount. */
export const RelayPageQuery = graphql(`
  query RelayPage($first: Int, $after: String) {
    parseJobs(first: $first, after: $after) {
      totalCount
      edges {
        cursor
        node {
          ...JobRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
  fragment JobRow on ParseJob {
    id
    name
    status
    tier
    createdAt
    updatedAt
    projectId
    errorMessage
  }
`);
