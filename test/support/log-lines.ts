import { Writable } from "node:stream";
import { type LevelWithSilent, type Logger, pino } from "pino";

/** A pino logger whose lines land in `lines`, one JSON string per record, to read in a test. */
export function capturingLogger(level: LevelWithSilent = "debug"): {
  logger: Logger;
  lines: string[];
} {
  const lines: string[] = [];
  const logger = pino(
    { level },
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split("\n").filter(Boolean));
        done();
      },
    }),
  );
  return { logger, lines };
}
