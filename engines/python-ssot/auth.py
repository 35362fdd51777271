"""
Tokens of the wire protocol: `userId.HMAC-SHA256(secret, userId)`, the MAC in base64url without
padding, exactly as harness/transport/token.ts mints and verifies them. A user id may itself
contain dots, so the MAC is what follows the last one; only the canonical spelling of the MAC is
accepted, and it is compared in constant time.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any, Optional

MAX_TOKEN_CHARS = 4096


def _mac(secret: str, user_id: str) -> str:
    digest = hmac.new(secret.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def mint_token(secret: str, user_id: str) -> str:
    """A token for `user_id` (tests and throwaway clients use it; the engine only verifies)."""
    return f"{user_id}.{_mac(secret, user_id)}"


def verify_token(secret: str, token: Any) -> Optional[str]:
    """The user a token vouches for, or None when it is malformed or signed with another secret."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_CHARS:
        return None
    dot = token.rfind(".")
    if dot <= 0:
        return None
    user_id, given = token[:dot], token[dot + 1 :]
    try:
        expected = _mac(secret, user_id)
        given_bytes = given.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not hmac.compare_digest(expected.encode("ascii"), given_bytes):
        return None
    return user_id
