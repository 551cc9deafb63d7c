import { graphql } from "relay-runtime";

/** One job as a list row; `@refetchable` makes Relay generate a `node(id:)` query to reload it alone. */
export const ParseJobRowFragment = graphql`
  fragment ParseJobRow_job on ParseJob @refetchable(queryName: "ParseJobRowRefetchQuery") {
    id
    name
    status
    updatedAt
  }
`;
