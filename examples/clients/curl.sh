curl -s http://localhost:4000/graphql \
  -H 'content-type: application/json' \
  -d '{"query": "query ($after: String) { parseJobs(first: 5, after: $after, filter: {status: FAILED}) { edges { node { id status errorMessage } } pageInfo { hasNextPage endCursor } } }", "variables": {"after": null}}'
