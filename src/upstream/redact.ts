/** What takes the credential's place in text shown to clients. */
export const REDACTED = "[redacted]";

/** What replaces a whole message that still spells the credential out once redacted. */
export const WITHHELD = "[withheld: it quoted the credential]";

/** Keys shorter than this are not looked for: any text would match, and the upstream refuses them. */
const MIN_KEY_LENGTH = 4;

/**
 * Takes one credential out of text from an upstream answer. It runs on text already decoded
 * (JSON strings parsed), so a key the upstream JSON-escaped is found like any other; it also
 * finds the key written in other forms an echo may take: each character as itself, in another
 * case, as a JSON escape (`\u002d`, `\/`), percent-encoded (`%2D`, `%C3%BC`), or as an HTML
 * character reference (`&#45;`, `&#x2d;`, `&amp;`), in any mix.
 */
export interface Redactor {
  /** `text` with every occurrence of the key replaced by `[redacted]`. */
  redact(text: string): string;
  /**
   * `redact`, then the whole text withheld if its letters and digits alone still spell the key
   * out: a key split across fields, or spaced out, is still a key to whoever reads the message.
   */
  scrub(text: string): string;
  /**
   * False when `raw` (an answer's body as received) cannot hold the key in any of those forms
   * (as for case: as given, or all in lower or upper case): a few plain substring searches, so
   * a page of jobs is only searched field by field when it might quote the key.
   */
  mayQuote(raw: string): boolean;
}

/** A redactor with nothing to take out. */
export const NOTHING_TO_REDACT: Redactor = {
  redact: (text) => text,
  scrub: (text) => text,
  mayQuote: () => false,
};

/**
 * The redactor of one `Authorization` value (the caller's own, or the configured key's). The
 * upstream client keeps one per key; its pattern is still made only when first needed: on an
 * error, or on a page that may quote the key.
 */
export function redactorFor(authorization: string): Redactor {
  const key = authorization.replace(/^Bearer\s+/i, "").trim();
  if (key.length < MIN_KEY_LENGTH) return NOTHING_TO_REDACT;
  let pattern: RegExp | undefined;
  let spelled: string | undefined;
  let plainRuns: string[] | undefined;
  const redact = (text: string): string => {
    pattern ??= keyPattern(key);
    return text.replace(pattern, REDACTED);
  };
  return {
    redact,
    scrub(text) {
      const redacted = redact(text);
      spelled ??= skeleton(key);
      return spelled.length >= MIN_KEY_LENGTH && skeleton(redacted).includes(spelled)
        ? WITHHELD
        : redacted;
    },
    mayQuote(raw) {
      // Letters and digits are never escaped by an encoder that does not have to, so the key's
      // longest run of them is in any echo of it, unless the body escapes such characters at all.
      // Substring searches, not a case-blind regular expression: this runs on every page, and
      // costs a few percent of the page's JSON.parse this way, several times that the other.
      plainRuns ??= casings(longestPlainRun(key));
      if (plainRuns.length === 0 || plainRuns.some((run) => raw.includes(run))) return true;
      return escapesPlainCharacter(raw);
    },
  };
}

/** Whether the text escapes an ASCII letter or digit in any of the forms `keyPattern` reads. */
function escapesPlainCharacter(text: string): boolean {
  // The cheap searches first: most bodies hold none of these, and then no scan is needed.
  return (
    text.includes("&#") ||
    (text.includes("\\u00") && /\\u00[3-7][0-9a-f]/i.test(text)) ||
    (text.includes("%") && /%[3-7][0-9a-f]/i.test(text))
  );
}

/** A run as given, in lower and in upper case; none when it is too short to be telling. */
function casings(run: string): string[] {
  if (run.length < MIN_KEY_LENGTH) return [];
  return [...new Set([run, run.toLowerCase(), run.toUpperCase()])];
}

/** A regular expression matching the key with each character in any of its forms. */
function keyPattern(key: string): RegExp {
  const parts: string[] = [];
  for (const character of key) parts.push(`(?:${characterForms(character).join("|")})`);
  return new RegExp(parts.join(""), "giu");
}

/** The regular-expression sources one character of the key may be written as. */
function characterForms(character: string): string[] {
  const point = character.codePointAt(0) ?? 0;
  const forms = [escapeForRegExp(character)];
  // JSON: `\uXXXX` (a surrogate pair above the BMP), and the short escapes.
  const units = Array.from({ length: character.length }, (_, i) => character.charCodeAt(i));
  forms.push(units.map((unit) => `\\\\u${hex(unit, 4)}`).join(""));
  const short = JSON_SHORT_ESCAPES[character];
  if (short !== undefined) forms.push(`\\\\${short}`);
  // Percent-encoding, byte by byte in UTF-8; `+` for a space in form encoding.
  const bytes = [...new TextEncoder().encode(character)];
  forms.push(bytes.map((byte) => `%${hex(byte, 2)}`).join(""));
  if (character === " ") forms.push("\\+");
  // HTML character references: decimal, hexadecimal (leading zeros, `;` sometimes left out), named.
  forms.push(`&#0*${point};?`, `&#x0*${point.toString(16)};?`);
  const named = HTML_NAMED[character];
  if (named !== undefined) forms.push(`&${named};`);
  return forms;
}

const JSON_SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\\\",
  "/": "\\/",
  "\b": "b",
  "\f": "f",
  "\n": "n",
  "\r": "r",
  "\t": "t",
};

const HTML_NAMED: Readonly<Record<string, string>> = {
  "&": "amp",
  "<": "lt",
  ">": "gt",
  '"': "quot",
  "'": "apos",
};

/** Escapes regular-expression syntax (only that: the `u` flag refuses needless escapes). */
function escapeForRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");
}

function hex(value: number, digits: number): string {
  return value.toString(16).padStart(digits, "0");
}

/** Only the letters and digits of a text, lower-cased: what a reader reassembles a key from. */
function skeleton(text: string): string {
  return text.replace(/[^\p{L}\p{N}]/gu, "").toLowerCase();
}

/** The longest run of ASCII letters and digits in the key. */
function longestPlainRun(key: string): string {
  let longest = "";
  for (const run of key.match(/[A-Za-z0-9]+/g) ?? [])
    if (run.length > longest.length) longest = run;
  return longest;
}
