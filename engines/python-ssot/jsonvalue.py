"""
JSON as the wire sees it. Python's json module differs from JavaScript's JSON in ways that
matter to a conformance engine: it accepts NaN and Infinity, writes 1.0 where JS writes 1, and
lets a lone surrogate through into text that cannot be encoded as UTF-8. These helpers parse
strictly, serialise the way JSON.stringify does for every value JSON.parse can produce, count
sizes in UTF-8 bytes (what the limits are about), and cut large values to an exact byte size so
that every event fits maxEventBytes (events.payload).
"""
from __future__ import annotations

import json
import math
from typing import Any, Union

JsonValue = Union[None, bool, int, float, str, list, dict]

TRUNCATION_SUFFIX = "…[truncated]"


class _Undefined:
    """A field that is absent (JavaScript's undefined), as opposed to JSON null."""

    _instance: "_Undefined | None" = None

    def __new__(cls) -> "_Undefined":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = _Undefined()


class JsonError(ValueError):
    """Text that is not JSON, or a value that cannot be serialised as JSON."""


def _reject_constant(name: str) -> Any:
    raise JsonError(f"{name} is not JSON")


def _number(text: str) -> Union[int, float]:
    """
    A JSON number with a fraction or exponent: an int when integral (as JS prints it). A number
    too large for a double parses to infinity, as in JS, and is refused where it is used
    (dumps raises on it), never silently turned into null.
    """
    value = float(text)
    if math.isfinite(value) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def loads(text: str) -> JsonValue:
    """Parse JSON text as JSON.parse accepts it (no NaN or Infinity literals), else raise JsonError."""
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_number)
    except JsonError:
        raise
    except (ValueError, RecursionError, TypeError) as error:
        raise JsonError(str(error)[:200]) from None


def dumps(value: Any) -> str:
    """
    Compact JSON text that encodes as UTF-8 (JSON.stringify's output for JSON values). Raises
    JsonError for what is not JSON (NaN, sets, objects, too deep).
    """
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (ValueError, TypeError, RecursionError) as error:
        raise JsonError(str(error)[:200]) from None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (legal in JSON text as an escape): keep it escaped.
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"), allow_nan=False)
    return text


def utf8_length(text: str) -> int:
    """Bytes of `text` on the wire."""
    try:
        return len(text.encode("utf-8"))
    except UnicodeEncodeError:
        return len(text.encode("utf-8", "surrogatepass"))


def json_bytes(value: Any) -> int:
    """Bytes of a value once serialised."""
    return utf8_length(dumps(value))


def copy(value: Any) -> JsonValue:
    """A fresh JSON copy (what an agent or tool returned, what a receiver gets); None for undefined."""
    if value is UNDEFINED:
        return None
    return loads(dumps(value))


def js_typeof(value: Any) -> str:
    """JavaScript's typeof for a parsed JSON value (null answers "null", as error texts say)."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def js_number(value: Union[int, float]) -> str:
    """A number as JavaScript's String() prints it (close enough for messages)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


def js_string(value: Any) -> str:
    """JavaScript's String(value) for a JSON value (what the reference does with non-text)."""
    if isinstance(value, str):
        return value
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return js_number(value)
    if isinstance(value, list):
        return ",".join("" if item is None else js_string(item) for item in value)
    return "[object Object]"


def js_truthy(value: Any) -> bool:
    """JavaScript truthiness: empty arrays and objects are true, 0, "", null and undefined false."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not (isinstance(value, float) and math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def truncate_text(text: str, max_bytes: int) -> str:
    """`text` when its JSON form fits `max_bytes`, else its longest prefix + suffix that does."""
    if json_bytes(text) <= max_bytes:
        return text
    if json_bytes(TRUNCATION_SUFFIX) > max_bytes:
        return ""
    # The serialised size grows with the prefix: binary-search the longest prefix that fits.
    low, high = 0, min(len(text), max(0, max_bytes))
    while low < high:
        mid = (low + high + 1) // 2
        if json_bytes(text[:mid] + TRUNCATION_SUFFIX) <= max_bytes:
            low = mid
        else:
            high = mid - 1
    return text[:low] + TRUNCATION_SUFFIX


def truncation_marker(text: str, max_bytes: int) -> JsonValue:
    """`{truncated, originalBytes, preview}` for a value whose JSON text is `text` (None: no room)."""
    marker: dict[str, Any] = {"truncated": True, "originalBytes": utf8_length(text), "preview": ""}
    room = max_bytes - json_bytes(marker) + json_bytes("")
    if room < json_bytes(""):
        return None
    marker["preview"] = truncate_text(text, room)
    return marker


def fit_json(value: JsonValue, max_bytes: int) -> JsonValue:
    """The value itself when it fits, a cut string for a string, else the truncation marker."""
    if json_bytes(value) <= max_bytes:
        return value
    if isinstance(value, str):
        return truncate_text(value, max_bytes)
    return truncation_marker(dumps(value), max_bytes)


def clip(text: str, max_chars: int = 200) -> str:
    """A name or id shortened for an error message."""
    return text[:max_chars] + "…" if len(text) > max_chars else text
