/**
 * A stand-in identity provider: a real HTTP server publishing a JWKS at `/.well-known/jwks.json`,
 * whose keys tests rotate and whose answers they break on demand, plus the tokens a test needs:
 * well signed, unsigned (`alg: none`) and key-confused (HS256 keyed with the public key).
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";

/** A signing key of the provider: the private half signs, the public half is published. */
export interface SigningKey {
  kid: string;
  alg: "RS256" | "ES256";
  privateKey: CryptoKey;
  /** The public key as published in the JWKS. */
  jwk: JWK;
  /** The public key as SPKI PEM: what a key-confusion attacker uses as an HMAC secret. */
  pem: string;
}

/**
 * What the server answers with: the keys, a 500, nothing at all (the request hangs), a 200 that
 * is not JSON, or JSON without `keys`.
 */
export type JwksMode = "ok" | "fail" | "hang" | "not-json" | "no-keys";

export interface JwksServer {
  /** The JWKS URL, e.g. `http://127.0.0.1:43210/.well-known/jwks.json`. */
  readonly url: string;
  /** The keys currently published, oldest first. */
  readonly keys: SigningKey[];
  /** The published key at `index` (oldest first); throws when there is none. */
  key(index?: number): SigningKey;
  /** How many times the JWKS has been asked for, whatever was answered. */
  fetches(): number;
  /** Generates a key and publishes it. */
  addKey(alg?: SigningKey["alg"]): Promise<SigningKey>;
  /** Stops publishing a key (tokens it signed must stop working). */
  dropKey(kid: string): void;
  setMode(mode: JwksMode): void;
  close(): Promise<void>;
}

export async function generateSigningKey(alg: SigningKey["alg"] = "RS256"): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${randomUUID()}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: "sig" };
  return { kid, alg, privateKey, jwk, pem: await exportSPKI(publicKey) };
}

/** Starts the provider on 127.0.0.1 with one RS256 key (and one ES256 key when `ec`). */
export async function startJwksServer(options: { ec?: boolean } = {}): Promise<JwksServer> {
  const keys: SigningKey[] = [await generateSigningKey("RS256")];
  if (options.ec) keys.push(await generateSigningKey("ES256"));
  let mode: JwksMode = "ok";
  let fetches = 0;
  const server = http.createServer((request, response) => {
    if (request.url !== "/.well-known/jwks.json") {
      response.writeHead(404).end();
      return;
    }
    fetches += 1;
    if (mode === "hang") return; // Never answered; close() ends the connection.
    if (mode === "fail") {
      response.writeHead(500, { "content-type": "text/plain" }).end("internal error");
      return;
    }
    if (mode === "not-json") {
      response.writeHead(200, { "content-type": "text/html" }).end("<html>sign in</html>");
      return;
    }
    if (mode === "no-keys") {
      response.writeHead(200, { "content-type": "application/json" }).end('{"error":"gone"}');
      return;
    }
    response
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ keys: keys.map((key) => key.jwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    keys,
    key(index = 0) {
      const key = keys[index];
      if (key === undefined) throw new Error(`no key ${index}: ${keys.length} published`);
      return key;
    },
    fetches: () => fetches,
    async addKey(alg = "RS256") {
      const key = await generateSigningKey(alg);
      keys.push(key);
      return key;
    },
    dropKey(kid) {
      const index = keys.findIndex((key) => key.kid === kid);
      if (index >= 0) keys.splice(index, 1);
    },
    setMode(next) {
      mode = next;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Claims and header choices of a test token; `exp` defaults to an hour from now. */
export interface TokenOptions {
  claims?: JWTPayload;
  /** Seconds since the epoch, or null to leave `exp` out. */
  exp?: number | null;
  /** The header's `kid`; defaults to the key's own; null leaves it out. */
  kid?: string | null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token signed with one of the provider's keys (or a key it never published). */
export function signWithKey(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const kid = options.kid === undefined ? key.kid : options.kid;
  const header = { alg: key.alg, typ: "JWT" };
  const jwt = new SignJWT(options.claims ?? {}).setProtectedHeader(
    kid === null ? header : { ...header, kid },
  );
  return finish(jwt, options).sign(key.privateKey);
}

/** A token signed with a shared secret, HS256 unless told otherwise. */
export function signWithSecret(
  secret: string | Uint8Array,
  options: TokenOptions & { alg?: "HS256" | "HS384" | "HS512" } = {},
): Promise<string> {
  const bytes = typeof secret === "string" ? new TextEncoder().encode(secret) : secret;
  const header = { alg: options.alg ?? "HS256", typ: "JWT" };
  const jwt = new SignJWT(options.claims ?? {}).setProtectedHeader(
    options.kid == null ? header : { ...header, kid: options.kid },
  );
  return finish(jwt, options).sign(bytes);
}

/**
 * The classic key confusion: HS256 keyed with the provider's public key (as PEM, or as the JWK's
 * JSON), which anyone can download. A verifier that lets the token pick the algorithm accepts it.
 */
export function signKeyConfusion(
  key: SigningKey,
  form: "pem" | "jwk",
  options: TokenOptions = {},
): Promise<string> {
  const secret = form === "pem" ? key.pem : JSON.stringify(key.jwk);
  return signWithSecret(secret, { ...options, kid: options.kid ?? key.kid });
}

/** An unsigned token, built by hand because jose will not sign with `none`. */
export function unsignedToken(options: TokenOptions = {}, alg = "none"): string {
  const exp = options.exp === undefined ? nowSeconds() + 3600 : options.exp;
  const payload = { ...(exp === null ? {} : { exp }), iat: nowSeconds(), ...options.claims };
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${encode({ alg, typ: "JWT" })}.${encode(payload)}.`;
}

function finish(jwt: SignJWT, options: TokenOptions): SignJWT {
  jwt.setIssuedAt();
  const exp = options.exp === undefined ? nowSeconds() + 3600 : options.exp;
  if (exp !== null) jwt.setExpirationTime(exp);
  return jwt;
}
