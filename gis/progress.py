"""Progress of long work, told as logging records on the logger ``gis.progress``: library
code never prints; a front end renders them (``cli`` announces each step and, on a
terminal, draws a bar with counts).

``begin(step)`` when a step starts (INFO: a plain log shows "step ..." lines);
``advance(what, done, total)`` as items of it are done (DEBUG, and only when someone
listens: a counted loop costs one level test per call). Each record carries a
``progress`` attribute, a ``Progress``, for the renderer.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

log = logging.getLogger(__name__)


class Progress(NamedTuple):
    kind: str            # "begin" or "advance"
    step: str            # the step's key ("read", "water", "write tables"...) or what is counted
    done: int | None = None
    total: int | None = None


def begin(step: str) -> None:
    """``step`` has started."""
    log.info("%s ...", step, extra={"progress": Progress("begin", step)})


def advance(what: str, done: int, total: int) -> None:
    """``done`` of ``total`` ``what`` (a key such as "files", "county maps") are done."""
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s: %d/%d", what, done, total, extra={"progress": Progress("advance", what, int(done), int(total))})
