import { graphql } from "relay-runtime";

/** The screen's query: the first page of jobs matching a filter (say `{ status: COMPLETED }`). */
export const ParseJobsPageQuery = graphql`
  query ParseJobsPageQuery($filter: ParseJobFilter) {
    ...ParseJobList_query @arguments(count: 10, filter: $filter)
  }
`;
