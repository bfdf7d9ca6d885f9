"""The process's memory with glibc: how many malloc arenas its threads use, and giving
back to the system what was freed. Elsewhere (musl, macOS, Windows) nothing is done."""

from __future__ import annotations

import ctypes
import os
import sys

from gis import geometry


def limit_malloc_arenas() -> None:
    """One glibc malloc arena per thread that works (the main one and ``THREADS`` in the
    pools of ``gis.geometry``), as ``covermap`` (the command) sets up.

    glibc gives new threads arenas of their own (up to 8 per core) and keeps what is freed
    in each; the short-lived thread pools of the overlays then leave freed memory spread
    over many arenas (100,000 villages, two runs each: peak 1,381 and 1,451 MB with 8
    arenas, 1,348 and 1,404 MB with 3). Fewer arenas than threads costs time: with 2 on
    2 cores the threads wait on each other's allocations (reading 11 s -> 20 s).
    A ``MALLOC_ARENA_MAX`` set by the user wins; other C libraries are left alone."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_ARENA_MAX, geometry.THREADS + 1)
    except (OSError, AttributeError):   # not glibc (musl has neither the file nor mallopt)
        return


_M_ARENA_MAX = -8   # glibc malloc.h


def release_free_memory() -> None:
    """Give the memory freed so far back to the system (glibc ``malloc_trim``), as the
    pipeline does after each step: glibc keeps what a step freed in its arenas, scattered
    between blocks still in use, and the next step's allocations seldom fit those holes
    (490k villages, sampled: after gaps 5.5 -> 5.3 GB, writing the tables 6.0 -> 5.7 GB; a
    few hundredths of a second a call). Elsewhere nothing is done."""
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):   # not glibc
        return
