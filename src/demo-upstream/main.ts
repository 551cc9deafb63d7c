/** Runs only the demo upstream (`npm run demo-upstream`), for trying the REST side by hand. */
import { DEMO_KEY, startDemoUpstream } from "./server.js";

const port = Number(process.env.PORT ?? 4010);
const demo = await startDemoUpstream({ port });
console.log(
  `Demo upstream on ${demo.url}/api/v2/parse (send Authorization: Bearer ${DEMO_KEY}; it is a demo key, not a secret)`,
);
