import {
  createOperationDescriptor,
  type Environment,
  fetchQuery,
  type GraphQLTaggedNode,
  getSelector,
  type OperationType,
  type ReaderFragment,
} from "relay-runtime";

/** Fetches an operation into the store and keeps it there; returns the root's data as stored. */
export async function load<T extends OperationType>(
  environment: Environment,
  query: GraphQLTaggedNode & Parameters<typeof createOperationDescriptor>[0],
  variables: T["variables"],
): Promise<Record<string, unknown>> {
  await fetchQuery<T>(environment, query, variables).toPromise();
  const operation = createOperationDescriptor(query, variables);
  environment.retain(operation);
  const snapshot = environment.lookup(operation.fragment);
  if (!snapshot.data) throw new Error("the operation's data is not in the store");
  return snapshot.data;
}

/** Reads a fragment from the store through the reference its parent holds. */
export function read<T>(environment: Environment, fragment: ReaderFragment, reference: unknown): T {
  const selector = getSelector(fragment, reference);
  if (selector?.kind !== "SingularReaderSelector") throw new Error("no single fragment to read");
  return environment.lookup(selector).data as T;
}
