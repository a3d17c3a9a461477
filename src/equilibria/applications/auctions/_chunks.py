"""The training loop RochetNet and RegretNet share: compiled chunks of steps, a time limit checked between them.

``run_chunks(state, advance, steps, chunk, max_seconds, started)`` calls ``advance(state, length) -> (state,
record)`` on chunks of at most ``chunk`` steps until ``steps`` are done or ``max_seconds`` (counted from
``started``, a ``time.perf_counter()`` reading) has passed; the first chunk always runs (it compiles). It returns
the state, the steps done after each chunk, each chunk's record, and why it stopped early (None when it did not).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple


class Chunks(NamedTuple):
    state: Any
    steps_done: int
    history_steps: list[int]
    records: list[Any]
    stopped_because: str | None


def run_chunks(state: Any, advance: Callable[[Any, int], tuple[Any, Any]], steps: int, chunk: int,
               max_seconds: float | None, started: float) -> Chunks:
    steps_done, history_steps, records = 0, [], []
    stopped_because = None
    while steps_done < steps:
        if steps_done and max_seconds is not None and time.perf_counter() - started >= max_seconds:
            stopped_because = f"max_seconds={max_seconds:g} reached after {steps_done} of {steps} steps"
            break
        length = min(chunk, steps - steps_done)
        state, record = advance(state, length)
        steps_done += length
        history_steps.append(steps_done)
        records.append(record)
    return Chunks(state, steps_done, history_steps, records, stopped_because)
