"""Work run in forked child processes while the parent goes on: pipeline steps
(layers/pipeline.py) and the maps of a run over many counties or townships (maps/atlas.py).

The overlays already spread their GEOS work over both cores, but tree queries, per-pair
loops, pandas and map rendering hold Python's lock; two processes keep both cores busy
where two threads would wait on each other. A forked child starts with the parent's data
in place (copy-on-write: nothing is sent), and only what it returns (the steps' result
tables) comes back, pickled through a pipe.

Only where ``fork`` is safe and useful: Linux with more than one core. Elsewhere
``fork_available`` is False and everything runs in the one process.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

try:
    import resource
except ImportError:  # Windows
    resource = None

from gis import geometry, progress
from gis.errors import CovermapError

log = logging.getLogger(__name__)


def fork_available() -> bool:
    """Linux, more than one core, and a process allowed children (a daemonic one, such as
    a multiprocessing pool worker, is not)."""
    return (sys.platform.startswith("linux") and geometry.THREADS > 1 and resource is not None
            and not multiprocessing.current_process().daemon)


@dataclass
class Outcome:
    value: Any
    extra_mb: float       # memory the child added to the machine's: its peak growth plus copied pages


class Child:
    """``func()`` started in a forked child; ``outcome()`` waits for it."""

    def __init__(self, func: Callable[[], Any], what: str):
        self.what = what
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        at_fork = _resident_mb()

        def run() -> None:
            try:
                value = func()
                extra = _peak_mb() - at_fork + _copied_mb(at_fork)
                send.send(("done", Outcome(value, round(max(extra, 0.0), 1))))
            except BaseException as exc:   # a CovermapError goes to the user as raised; anything else too
                send.send(("failed", exc))
            finally:
                send.close()

        self._process = context.Process(target=run, name=f"covermap {what}", daemon=True)
        self._process.start()
        send.close()

    def stop(self) -> None:
        """End the child without its answer (the parent failed meanwhile)."""
        self._process.terminate()
        self._process.join()
        self._receive.close()

    def outcome(self) -> Outcome:
        try:
            kind, payload = self._receive.recv()
        except EOFError:
            self._process.join()
            raise CovermapError(f"the child process for {self.what} stopped without an answer (exit code "
                                f"{self._process.exitcode}); was it killed for lack of memory? Run again "
                                "with fewer other jobs on the machine") from None
        finally:
            self._receive.close()
        self._process.join()
        if kind == "failed":
            raise payload
        return payload


def share_out(task: Callable[[int], Any], count: int, what: str) -> int:
    """``task(k)`` for every ``k`` in ``range(count)``, shared by this process and one forked
    child per further core, each taking every n-th ``k`` (so that large and small items
    mix); with one core, or where ``fork`` is not available, all in this process; no more
    children than the free memory holds (``CHILD_SHARE``). Returns
    the number of processes used. An error in any process is raised here, once the others
    are stopped. ``task`` must leave its results in files: return values are dropped.

    The objects alive at the fork are frozen for the children's garbage collector, which
    then no longer walks the parent's objects on its full passes (30k villages' 93 county
    maps, two runs each way: 26.5-27.2 s against 29.3-30.4 s, for 80-100 MB more in the
    child)."""
    processes = min(geometry.THREADS, count) if fork_available() else 1
    room = _children_room()
    if processes - 1 > room:
        log.info("%s: %d process(es), as %.0f MB of memory are free (a child would need about %.0f MB)",
                 what, 1 + room, _available_mb(), CHILD_SHARE * _resident_mb())
        processes = 1 + room
    if processes <= 1:
        for k in range(count):
            task(k)
            progress.advance(what, k + 1, count)
        return 1
    gc.freeze()
    try:
        children = [Child(_runner(task, range(j, count, processes)), f"{what} ({j + 1} of {processes})")
                    for j in range(1, processes)]
    finally:
        gc.unfreeze()
    try:
        for k in range(0, count, processes):
            task(k)
            progress.advance(what, min(count - 1, k + processes), count)   # the children as far on, about
    except BaseException:
        for child in children:
            child.stop()
        raise
    extra = 0.0
    for i, child in enumerate(children):
        try:
            extra += child.outcome().extra_mb
        except BaseException:
            for other in children[i + 1:]:
                other.stop()
            raise
    progress.advance(what, count, count)
    log.info("%s: %d processes, %.0f MB more memory in the children", what, processes, extra)
    return processes


def beside(here: Callable[[], Any], there: Callable[[], Any], what: str) -> tuple[float, float]:
    """``here()`` in this process while a forked child does ``there()`` (``what``, for the
    log); both here, in turn, where fork is not available or the free memory holds no
    child (``CHILD_SHARE``). Returns the memory (MB) and CPU seconds the child added, 0
    and 0 without one. An error in either is raised here, once the child is stopped; as
    with ``share_out``, ``there`` must leave its results in files."""
    if not fork_available() or _children_room() < 1:
        here()
        there()
        return 0.0, 0.0

    def timed() -> float:
        start = time.process_time()
        there()
        return time.process_time() - start

    gc.freeze()
    try:
        child = Child(timed, what)
    finally:
        gc.unfreeze()
    try:
        here()
    except BaseException:
        child.stop()
        raise
    outcome = child.outcome()
    log.info("%s: in a child process, %.0f MB more memory", what, outcome.extra_mb)
    return outcome.extra_mb, outcome.value


# What a child writing maps adds to the machine's memory, as a share of this process's
# resident memory at the fork (its own pages while it renders, and pages it no longer
# shares with this one): 0.36-0.56 measured (30k villages' county maps 580 MB of 1.0 GB;
# 490k villages' bureau maps 4.3 GB and county maps 5.9 GB of 12-13 GB).
CHILD_SHARE = 0.6


def _children_room() -> int:
    """How many children the memory free now (MemAvailable) holds, at CHILD_SHARE each;
    where it cannot be read, as many as there are cores."""
    available, need = _available_mb(), CHILD_SHARE * _resident_mb()
    return geometry.THREADS if available <= 0 or need <= 0 else int(available // need)


def _available_mb() -> float:
    return _field_kb("/proc/meminfo", "MemAvailable") / 1024.0


def _runner(task: Callable[[int], Any], items: range) -> Callable[[], int]:
    def run() -> int:
        for k in items:
            task(k)
        return len(items)
    return run


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# this process's peak before the kernel's high-water mark was last restarted (PeakWindow)
_earlier_peak_mb = 0.0


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB (NaN where the OS does not say)."""
    if resource is None:
        return float("nan")
    return max(_earlier_peak_mb, _peak_mb())


class PeakWindow:
    """This process's peak resident memory (MB, ``mb``) within a ``with`` block, so that a
    child's memory is added to what this process held meanwhile rather than to its peak of
    long before. On Linux the kernel's high-water mark is restarted for the block
    (``/proc/self/clear_refs``; ``peak_mb`` keeps the earlier peak); elsewhere ``mb`` is
    the peak so far, more than the block's own."""

    def __enter__(self) -> PeakWindow:
        global _earlier_peak_mb
        self.mb = float("nan")
        before = peak_mb()
        try:
            with open("/proc/self/clear_refs", "w") as fh:
                fh.write("5")
        except OSError:
            return self
        _earlier_peak_mb = before
        return self

    def __exit__(self, *exc) -> None:
        self.mb = _peak_mb() if resource is not None else float("nan")


def under_peak(share: float = CHILD_SHARE) -> bool:
    """Whether a child started now is expected to keep within this process's peak memory
    so far: the resident memory plus the child's ``share`` of it at most that peak."""
    if resource is None:
        return False
    return _resident_mb() * (1.0 + share) <= peak_mb()


def _resident_mb() -> float:
    return _status_kb("VmRSS") / 1024.0


def _copied_mb(at_fork: float) -> float:
    """Pages that were the parent's at the fork and are now this child's alone (copied on
    write by either process): private pages beyond those the child added since."""
    private = _rollup_kb("Private_Clean") + _rollup_kb("Private_Dirty")
    return max(0.0, private / 1024.0 - max(0.0, _resident_mb() - at_fork))


def _status_kb(field: str) -> float:
    return _field_kb("/proc/self/status", field)


def _rollup_kb(field: str) -> float:
    return _field_kb("/proc/self/smaps_rollup", field)


def _field_kb(path: str, field: str) -> float:
    try:
        with open(path, encoding="ascii") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return float(line.split()[1])
    except OSError:
        pass
    return 0.0
