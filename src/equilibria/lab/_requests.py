"""Reading a lab request: the body (size-bounded, strict JSON) and its fields (typed, range-checked).

Every problem is a :class:`LabError` carrying the HTTP status and one line for ``{"error": ...}``; a
:class:`~equilibria.core.errors.GameError` raised by the library is a 400 with the library's own message. Field
readers name the field and what is wrong, e.g. ``"steps must be an integer in [1, 5000], got 9000"``.
"""

from __future__ import annotations

import json
import math
from collections.abc import AsyncIterator, Sequence
from typing import Any

from equilibria.core.errors import GameError


class LabError(GameError):
    """A request the lab refuses: ``status`` (4xx) and a one-line message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _reject_constant(name: str) -> Any:
    raise LabError(f"the body is not strict JSON: {name} is not a number JSON allows")


async def read_json_body(headers: dict[str, str], chunks: AsyncIterator[bytes], max_bytes: int) -> dict[str, Any]:
    """The request's JSON object, read at most ``max_bytes`` (413 beyond, whatever Content-Length claims)."""
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise LabError(f"the request body is {int(declared)} bytes, over the limit of {max_bytes} bytes", 413)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > max_bytes:
            raise LabError(f"the request body is over the limit of {max_bytes} bytes", 413)
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise LabError("the body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise LabError(f"the body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise LabError("the body is nested too deeply") from None
    if not isinstance(document, dict):
        raise LabError(f"the body must be a JSON object, got {type(document).__name__}")
    return document


def short(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def integer(body: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int:
    """``body[name]`` as an integer in ``[low, high]`` (``default`` when absent; required when it is None)."""
    value = body.get(name, default)
    if value is None:
        raise LabError(f"{name} is required (an integer in [{low}, {high}])")
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise LabError(f"{name} must be an integer in [{low}, {high}], got {short(value)}")
    return value


def number(value: Any, name: str, *, positive: bool = False) -> float:
    """``value`` as a finite float (> 0 with ``positive``)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise LabError(f"{name} must be a finite number, got {short(value)}")
    if positive and value <= 0:
        raise LabError(f"{name} must be a positive number, got {short(value)}")
    return float(value)


def text(body: dict[str, Any], name: str, default: str | None = None) -> str:
    """``body[name]`` as a string (``default`` when absent; required when it is None)."""
    value = body.get(name, default)
    if value is None:
        raise LabError(f"{name} is required (a string)")
    if not isinstance(value, str):
        raise LabError(f"{name} must be a string, got {short(value)}")
    return value


def flag(body: dict[str, Any], name: str, default: bool = False) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise LabError(f"{name} must be true or false, got {short(value)}")
    return value


def items(body: dict[str, Any], name: str, max_items: int) -> Sequence[Any]:
    """``body[name]`` as a non-empty list of at most ``max_items`` entries."""
    value = body.get(name)
    if not isinstance(value, list) or not value:
        raise LabError(f"{name} must be a non-empty list, got {short(value)}")
    if len(value) > max_items:
        raise LabError(f"{name} has {len(value)} entries, over the limit of {max_items}")
    return value
