import { graphql } from "relay-runtime";

/**
 * The paginated list: `@connection` keys the edges by filter, so each filter keeps its own list,
 * and `@refetchable` on Query makes Relay generate the query that loads the next page.
 */
export const ParseJobListFragment = graphql`
  fragment ParseJobList_query on Query
  @refetchable(queryName: "ParseJobListPaginationQuery")
  @argumentDefinitions(
    count: { type: "Int", defaultValue: 20 }
    cursor: { type: "String" }
    filter: { type: "ParseJobFilter" }
  ) {
    parseJobs(first: $count, after: $cursor, filter: $filter)
      @connection(key: "ParseJobList_parseJobs", filters: ["filter"]) {
      totalCount
      edges {
        node {
          id
          ...ParseJobRow_job
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`;
