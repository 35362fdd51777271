// Tokens of the wire protocol: userId.HMAC-SHA256(secret, userId), base64url.
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { mintToken, verifyToken } from "../../harness/transport/token.ts";

describe("tokens", () => {
  it("are the user id and its HMAC-SHA256 in base64url, as CONTRACT.md says", () => {
    const mac = createHmac("sha256", "s3cret").update("alice").digest("base64url");
    expect(mintToken("s3cret", "alice")).toBe(`alice.${mac}`);
    expect(verifyToken("s3cret", `alice.${mac}`)).toBe("alice");
  });

  it("vouch for user ids that contain dots", () => {
    expect(verifyToken("k", mintToken("k", "a.b.c"))).toBe("a.b.c");
  });

  it("are refused when signed with another secret, tampered with or malformed", () => {
    const good = mintToken("k", "alice");
    const mac = good.slice(good.lastIndexOf(".") + 1);
    expect(verifyToken("other", good)).toBeUndefined();
    expect(verifyToken("k", `bob.${mac}`)).toBeUndefined();
    expect(verifyToken("k", `alice.${mac.slice(0, -1)}`)).toBeUndefined();
    expect(verifyToken("k", `alice.${mac}=`)).toBeUndefined();
    for (const bad of ["", "alice", ".abc", "alice.", 42, null, undefined, {}]) {
      expect(verifyToken("k", bad)).toBeUndefined();
    }
  });
});
