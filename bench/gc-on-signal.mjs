// Preloaded into the gateway only for the bench's memory run (through NODE_OPTIONS): on SIGUSR2
// it runs a full garbage collection, so the RSS read next is the memory still in use, not
// wherever V8's collector happened to be in its cycle. Nothing of it ships in the gateway.
import v8 from "node:v8";
import vm from "node:vm";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");
process.on("SIGUSR2", () => gc());
