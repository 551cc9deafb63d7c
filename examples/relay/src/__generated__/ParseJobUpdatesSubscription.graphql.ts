/**
 * @generated SignedSource<<69675960ab042abada4f70b5f5afa515>>
 * @relayHash 295cc2963f26bdf77dd62411e9b96973
 * @lightSyntaxTransform
 */

/* tslint:disable */
/* eslint-disable */
// @ts-nocheck

// @relayRequestID cbbcf2f2d866a35fd30d56691ff5f227452d5e6e0ace191fd25b6370623430c8

import { ConcreteRequest } from 'relay-runtime';
export type ParseJobStatus = "CANCELLED" | "COMPLETED" | "FAILED" | "PENDING" | "RUNNING" | "%future added value";
export type ParseJobUpdatesSubscription$variables = {
  ids: ReadonlyArray<string>;
};
export type ParseJobUpdatesSubscription$data = {
  readonly parseJobUpdates: {
    readonly id: string;
    readonly status: ParseJobStatus;
    readonly updatedAt: string | null | undefined;
  };
};
export type ParseJobUpdatesSubscription = {
  response: ParseJobUpdatesSubscription$data;
  variables: ParseJobUpdatesSubscription$variables;
};

const node: ConcreteRequest = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "ids"
  }
],
v1 = [
  {
    "alias": null,
    "args": [
      {
        "kind": "Variable",
        "name": "ids",
        "variableName": "ids"
      }
    ],
    "concreteType": "ParseJob",
    "kind": "LinkedField",
    "name": "parseJobUpdates",
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
    "storageKey": null
  }
];
return {
  "fragment": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Fragment",
    "metadata": null,
    "name": "ParseJobUpdatesSubscription",
    "selections": (v1/*:: as any*/),
    "type": "Subscription",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "ParseJobUpdatesSubscription",
    "selections": (v1/*:: as any*/)
  },
  "params": {
    "id": "cbbcf2f2d866a35fd30d56691ff5f227452d5e6e0ace191fd25b6370623430c8",
    "metadata": {},
    "name": "ParseJobUpdatesSubscription",
    "operationKind": "subscription",
    "text": null
  }
};
})();

(node as any).hash = "0865e134587c79611ad64756046eebae";

export default node;
