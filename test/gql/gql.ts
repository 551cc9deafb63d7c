/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      id\n      ... on ParseJob {\n        status\n        name\n      }\n    }\n  }\n": typeof types.NodesDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n    }\n  }\n": typeof types.NodeByIdDocument,
    "\n  query Page($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          projectId\n          status\n          createdAt\n          updatedAt\n          errorMessage\n          name\n          tier\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": typeof types.PageDocument,
    "\n  query Ids($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          id\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.IdsDocument,
    "\n  query RelayPage($first: Int, $after: String) {\n    parseJobs(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...JobRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n  fragment JobRow on ParseJob {\n    id\n    name\n    status\n    tier\n    createdAt\n    updatedAt\n    projectId\n    errorMessage\n  }\n": typeof types.RelayPageDocument,
};
const documents: Documents = {
    "\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      id\n      ... on ParseJob {\n        status\n        name\n      }\n    }\n  }\n": types.NodesDocument,
    "\n  query NodeById($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n    }\n  }\n": types.NodeByIdDocument,
    "\n  query Page($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          projectId\n          status\n          createdAt\n          updatedAt\n          errorMessage\n          name\n          tier\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n": types.PageDocument,
    "\n  query Ids($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          id\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.IdsDocument,
    "\n  query RelayPage($first: Int, $after: String) {\n    parseJobs(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...JobRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n  fragment JobRow on ParseJob {\n    id\n    name\n    status\n    tier\n    createdAt\n    updatedAt\n    projectId\n    errorMessage\n  }\n": types.RelayPageDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      id\n      ... on ParseJob {\n        status\n        name\n      }\n    }\n  }\n"): (typeof documents)["\n  query Nodes($ids: [ID!]!) {\n    nodes(ids: $ids) {\n      id\n      ... on ParseJob {\n        status\n        name\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query NodeById($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n    }\n  }\n"): (typeof documents)["\n  query NodeById($id: ID!) {\n    node(id: $id) {\n      __typename\n      id\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Page($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          projectId\n          status\n          createdAt\n          updatedAt\n          errorMessage\n          name\n          tier\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Page($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      totalCount\n      edges {\n        cursor\n        node {\n          id\n          projectId\n          status\n          createdAt\n          updatedAt\n          errorMessage\n          name\n          tier\n        }\n      }\n      pageInfo {\n        hasNextPage\n        hasPreviousPage\n        startCursor\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Ids($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          id\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Ids($first: Int, $after: String, $filter: ParseJobFilter) {\n    parseJobs(first: $first, after: $after, filter: $filter) {\n      edges {\n        cursor\n        node {\n          id\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query RelayPage($first: Int, $after: String) {\n    parseJobs(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...JobRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n  fragment JobRow on ParseJob {\n    id\n    name\n    status\n    tier\n    createdAt\n    updatedAt\n    projectId\n    errorMessage\n  }\n"): (typeof documents)["\n  query RelayPage($first: Int, $after: String) {\n    parseJobs(first: $first, after: $after) {\n      totalCount\n      edges {\n        cursor\n        node {\n          ...JobRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n  fragment JobRow on ParseJob {\n    id\n    name\n    status\n    tier\n    createdAt\n    updatedAt\n    projectId\n    errorMessage\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;