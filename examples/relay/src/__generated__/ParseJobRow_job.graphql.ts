/**
 * @generated SignedSource<<b46c4003dc03327ef73c2d9207dc6ae8>>
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

import { ReaderFragment } from 'relay-runtime';
export type ParseJobStatus = "CANCELLED" | "COMPLETED" | "FAILED" | "PENDING" | "RUNNING" | "%future added value";
import { FragmentRefs } from "relay-runtime";
export type ParseJobRow_job$data = {
  readonly id: string;
  readonly name: string | null | undefined;
  readonly status: ParseJobStatus;
  readonly updatedAt: string | null | undefined;
  readonly " $fragmentType": "ParseJobRow_job";
};
export type ParseJobRow_job$key = {
  readonly " $data"?: ParseJobRow_job$data;
  readonly " $fragmentSpreads": FragmentRefs<"ParseJobRow_job">;
};

import ParseJobRowRefetchQuery_graphql from './ParseJobRowRefetchQuery.graphql';

const node: ReaderFragment = {
  "argumentDefinitions": [],
  "kind": "Fragment",
  "metadata": {
    "refetch": {
      "connection": null,
      "fragmentPathInResult": [
        "node"
      ],
      "operation": ParseJobRowRefetchQuery_graphql,
      "identifierInfo": {
        "identifierField": "id",
        "identifierQueryVariableName": "id"
      }
    }
  },
  "name": "ParseJobRow_job",
  "selections": [
    {
      "alias": null,
      "args": null,
      "kind": "ScalarField",
      "name": "id",
      "storageKey": null
    },
    {
      "alias": null,
      "args": null,
      "kind": "ScalarField",
      "name": "name",
      "storageKey": null
    },
    {
      "alias": null,
      "args": null,
      "kind": "ScalarField",
      "name": "status",
      "storageKey": null
    },
    {
      "alias": null,
      "args": null,
      "kind": "ScalarField",
      "name": "updatedAt",
      "storageKey": null
    }
  ],
  "type": "ParseJob",
  "abstractKey": null
};

(node as any).hash = "1d4f62300050f5172f91950f5d14b288";

export default node;
