/**
 * @generated SignedSource<<77b4562cb44b190d241df3af8aa2214b>>
 * @relayHash 4f5deee7912ccd29d8cdc56f37118edf
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

// @relayRequestID 3e4d22531230bda921569da5efef58290c734c6f7f55a608a4952e2d80f3a892

import { ConcreteRequest } from 'relay-runtime';
import { FragmentRefs } from "relay-runtime";
export type ParseJobStatus = "CANCELLED" | "COMPLETED" | "FAILED" | "PENDING" | "RUNNING" | "%future added value";
export type ParseJobFilter = {
  createdAtOnOrAfter?: string | null | undefined;
  createdAtOnOrBefore?: string | null | undefined;
  jobIds?: ReadonlyArray<string> | null | undefined;
  organizationId?: string | null | undefined;
  projectId?: string | null | undefined;
  status?: ParseJobStatus | null | undefined;
};
export type ParseJobsPageQuery$variables = {
  filter?: ParseJobFilter | null | undefined;
};
export type ParseJobsPageQuery$data = {
  readonly " $fragmentSpreads": FragmentRefs<"ParseJobList_query">;
};
export type ParseJobsPageQuery = {
  response: ParseJobsPageQuery$data;
  variables: ParseJobsPageQuery$variables;
};

const node: ConcreteRequest = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "filter"
  }
],
v1 = {
  "kind": "Variable",
  "name": "filter",
  "variableName": "filter"
},
v2 = [
  (v1/*:: as any*/),
  {
    "kind": "Literal",
    "name": "first",
    "value": 10
  }
];
return {
  "fragment": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Fragment",
    "metadata": null,
    "name": "ParseJobsPageQuery",
    "selections": [
      {
        "args": [
          {
            "kind": "Literal",
            "name": "count",
            "value": 10
          },
          (v1/*:: as any*/)
        ],
        "kind": "FragmentSpread",
        "name": "ParseJobList_query"
      }
    ],
    "type": "Query",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "ParseJobsPageQuery",
    "selections": [
      {
        "alias": null,
        "args": (v2/*:: as any*/),
        "concreteType": "ParseJobConnection",
        "kind": "LinkedField",
        "name": "parseJobs",
        "plural": false,
        "selections": [
          {
            "alias": null,
            "args": null,
            "kind": "ScalarField",
            "name": "totalCount",
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "concreteType": "ParseJobEdge",
            "kind": "LinkedField",
            "name": "edges",
            "plural": true,
            "selections": [
              {
                "alias": null,
                "args": null,
                "concreteType": "ParseJob",
                "kind": "LinkedField",
                "name": "node",
                "plural": false,
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
                  },
                  {
                    "alias": null,
                    "args": null,
                    "kind": "ScalarField",
                    "name": "__typename",
                    "storageKey": null
                  }
                ],
                "storageKey": null
              },
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "cursor",
                "storageKey": null
              }
            ],
            "storageKey": null
          },
          {
            "alias": null,
            "args": null,
            "concreteType": "PageInfo",
            "kind": "LinkedField",
            "name": "pageInfo",
            "plural": false,
            "selections": [
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "hasNextPage",
                "storageKey": null
              },
              {
                "alias": null,
                "args": null,
                "kind": "ScalarField",
                "name": "endCursor",
                "storageKey": null
              }
            ],
            "storageKey": null
          }
        ],
        "storageKey": null
      },
      {
        "alias": null,
        "args": (v2/*:: as any*/),
        "filters": [
          "filter"
        ],
        "handle": "connection",
        "key": "ParseJobList_parseJobs",
        "kind": "LinkedHandle",
        "name": "parseJobs"
      }
    ]
  },
  "params": {
    "id": "3e4d22531230bda921569da5efef58290c734c6f7f55a608a4952e2d80f3a892",
    "metadata": {},
    "name": "ParseJobsPageQuery",
    "operationKind": "query",
    "text": null
  }
};
})();

(node as any).hash = "37f57f78dc3f6363893014910f6b3b09";

export default node;
