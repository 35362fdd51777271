/**
 * Tokens of the wire protocol (CONTRACT.md): `userId.HMAC-SHA256(secret, userId)`, the MAC in
 * base64url. The harness mints one per simulated user; the gateway verifies each `auth` frame.
 * A user id may itself contain dots, so the MAC is what follows the last one.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { ProbeToken } from "./wire-log.ts";

function mac(secret: string, userId: string): Buffer {
  return createHmac("sha256", secret).update(userId, "utf8").digest();
}

export function mintToken(secret: string, userId: string): string {
  return `${userId}.${mac(secret, userId).toString("base64url")}`;
}

/** The user a token vouches for, or undefined when it is malformed or signed with another secret. */
export function verifyToken(secret: string, token: unknown): string | undefined {
  if (typeof token !== "string" || token.length > 4096) return undefined;
  const dot = token.lastIndexOf(".");
  if (dot <= 0) return undefined;
  const userId = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), "base64url");
  const expected = mac(secret, userId);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  // base64url decoding skips stray characters: accept only the canonical spelling.
  if (given.toString("base64url") !== token.slice(dot + 1)) return undefined;
  return userId;
}

/** A fresh secret for one gateway run: tokens of one run are worthless in the next. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** The token a security probe presents: minted for its user, then forged as the probe says. */
export function probeToken(secret: string, token: ProbeToken): string {
  const good = mintToken(secret, token.user);
  switch (token.forge) {
    case "other-secret":
      return mintToken(`${secret}-other`, token.user);
    case "tampered":
      return `${token.user}x${good.slice(good.lastIndexOf("."))}`;
    case "garbage":
      return "not a token";
    case "empty":
      return "";
  }
}
