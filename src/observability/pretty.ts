/**
 * `LOG_FORMAT=pretty`: pino's JSON lines turned into one readable line each, for a person at a
 * terminal. A destination stream rather than a pino transport: transports run in a worker thread
 * and pino-pretty would be a dependency, for what is a few lines of string work.
 */

/** What pino writes to: `DestinationStream` and a SonicBoom both fit. */
export interface LineSink {
  write(line: string): unknown;
  /** Present on SonicBoom; `logger.flush()` reaches it through the pretty stream. */
  flush?(): unknown;
}

/** pino's numeric levels; a level it does not know (a custom one) is printed as its number. */
const LEVEL_NAMES: Record<number, string> = {
  10: "TRACE",
  20: "DEBUG",
  30: "INFO ",
  40: "WARN ",
  50: "ERROR",
  60: "FATAL",
};

/**
 * Fields every record carries that the line shows elsewhere (time, level, msg) or that say
 * nothing at a terminal (the service name is the same on every line).
 */
const SHOWN_APART = new Set(["time", "level", "msg", "service"]);

/** A destination for pino that writes each record to `out` as one pretty line. */
export function prettyDestination(out: LineSink): LineSink {
  return {
    write(chunk: string) {
      // pino writes one record per call, each ending in a newline; split anyway, so a batch
      // written at once comes out as one line per record too.
      let text = "";
      for (const line of chunk.split("\n")) {
        if (line !== "") text += `${prettyLine(line)}\n`;
      }
      out.write(text);
    },
    flush() {
      out.flush?.();
    },
  };
}

/** One JSON record as `HH:MM:SS.mmm LEVEL msg key=value …`; a line that is not JSON as it is. */
export function prettyLine(json: string): string {
  let record: unknown;
  try {
    record = JSON.parse(json);
  } catch {
    return json;
  }
  if (typeof record !== "object" || record === null || Array.isArray(record)) return json;
  const fields = record as Record<string, unknown>;
  const parts = [clock(fields.time), levelName(fields.level)];
  if (fields.msg !== undefined) parts.push(oneLine(String(fields.msg)));
  for (const [key, value] of Object.entries(fields)) {
    if (!SHOWN_APART.has(key)) parts.push(`${key}=${formatValue(value)}`);
  }
  return parts.join(" ");
}

/** Local wall-clock time with milliseconds: what a person compares with their own clock. */
function clock(time: unknown): string {
  const date = typeof time === "number" ? new Date(time) : new Date();
  const two = (n: number) => String(n).padStart(2, "0");
  const ms = String(date.getMilliseconds()).padStart(3, "0");
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${ms}`;
}

function levelName(level: unknown): string {
  if (typeof level !== "number") return "?????";
  return LEVEL_NAMES[level] ?? String(level).padEnd(5);
}

/**
 * Plain words stay bare (`status=200`, `path=/graphql`); anything a reader could misread — empty,
 * spaces, quotes, `=`, control characters — is quoted; objects and arrays are compact JSON.
 */
function formatValue(value: unknown): string {
  if (typeof value === "string") {
    return /^[^\s"=\\\p{Cc}]+$/u.test(value) ? value : JSON.stringify(value);
  }
  if (value === undefined) return "undefined";
  return JSON.stringify(value) ?? String(value);
}

/** A message keeps to its line: newlines (stack traces in Yoga's messages) become `\n`. */
function oneLine(text: string): string {
  return text.replace(/\p{Cc}/gu, (char) => JSON.stringify(char).slice(1, -1));
}
