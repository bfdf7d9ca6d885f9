"""Deflating the workbooks' sheets: zlib (Python's zipfile) beside ISA-L (isal), side by side
on the sheets' XML of workbooks covermap wrote (layers/workbook.py deflates each sheet's
rows with ISA-L's level ``ISAL_LEVEL``, the other parts with zlib's ``ZIP_LEVEL``).

    python -m benchmarks.deflate_benchmark /tmp/covermap-bench/compare-490000-20-changes/counties

The largest ``--books`` workbooks under the folder are read; every ``xl/worksheets/*.xml``
part is deflated as zipfile deflates it (raw DEFLATE, fed a MiB at a time), the CPU time
the best of ``--repeat`` rounds."""

from __future__ import annotations

import argparse
import sys
import time
import zipfile
import zlib
from pathlib import Path

from isal import isal_zlib

CHUNK = 1 << 20
METHODS = (("zlib", zlib, 1), ("zlib", zlib, 6), ("isal", isal_zlib, 0), ("isal", isal_zlib, 1),
           ("isal", isal_zlib, 2), ("isal", isal_zlib, 3))


def sheets(folder: Path, books: int) -> list[bytes]:
    paths = sorted(folder.rglob("*.xlsx"), key=lambda p: p.stat().st_size)[-books:]
    parts = []
    for path in paths:
        with zipfile.ZipFile(path) as book:
            parts += [book.read(name) for name in book.namelist() if name.startswith("xl/worksheets/")]
    return parts


def deflated(parts: list[bytes], module, level: int) -> tuple[float, int]:
    """CPU seconds and bytes out."""
    start, size = time.process_time(), 0
    for data in parts:
        compressor = module.compressobj(level, module.DEFLATED, -15)
        for at in range(0, len(data), CHUNK):
            size += len(compressor.compress(data[at:at + CHUNK]))
        size += len(compressor.flush())
    return time.process_time() - start, size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--books", type=int, default=200, help="the largest this many workbooks")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    parts = sheets(args.folder, args.books)
    total = sum(map(len, parts))
    if not total:
        raise SystemExit(f"{args.folder}: no workbook with sheets under it")
    print(f"{len(parts)} sheets, {total / 1e6:.1f} MB of XML")
    for name, module, level in METHODS:
        seconds, size = min(deflated(parts, module, level) for _ in range(args.repeat))
        # each round's output inflates back to the input
        check = module.compressobj(level, module.DEFLATED, -15)
        assert zlib.decompress(check.compress(parts[-1]) + check.flush(), -15) == parts[-1]
        print(f"{name} level {level}: {seconds:6.2f} s CPU, {size / 1e6:7.1f} MB ({size / total:.1%}), "
              f"{total / seconds / 1e6:6.0f} MB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
