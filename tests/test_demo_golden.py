"""The five first standards' answers on the sample county, held fixed (issue 21): moving a
standard's code between modules must not change a byte of what it decides.

``covermap run`` of each period's ``profile.toml`` (the five standards alone, English and
Chinese) is compared with the copies in ``tests/data/golden/``: the CSV tables byte for byte,
and the workbook's cells. When the sample or a rule changes on purpose, write the copies
again and review their diff in the commit:

    python tests/test_demo_golden.py --update
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from layers.sample import profile_path

GOLDEN = Path(__file__).resolve().parent / "data" / "golden"
TABLES = ("villages.csv", "gaps.csv", "no_data.csv", "townships.csv", "consistency.csv")
RUNS = [(period, lang) for period in ("2025", "2026") for lang in ("zh", "en")]


def _run(period: str, lang: str, out: Path) -> Path:
    profile = profile_path() if period == "2025" else profile_path().parent / period / "profile.toml"
    folder = out / f"{period}-{lang}"
    result = CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(folder), "--no-maps", "--lang", lang])
    assert result.exit_code == 0, result.output
    return folder


def _cells(path: Path) -> dict[str, list[tuple]]:
    """Every sheet's cell values; the caption's day of writing (``… 2026-12-07 生成``) masked."""
    book = load_workbook(path, read_only=True)

    def value(cell):
        return MADE.sub("(day)", cell) if isinstance(cell, str) and "covermap" in cell else cell

    return {sheet: [tuple(value(cell) for cell in row) for row in book[sheet].iter_rows(values_only=True)]
            for sheet in book.sheetnames}


MADE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _workbook(folder: Path) -> Path:
    return next(folder.glob("*.xlsx"))


@pytest.mark.parametrize("period,lang", RUNS)
def test_the_five_standards_decide_as_before(period, lang, tmp_path):
    folder = _run(period, lang, tmp_path)
    kept = GOLDEN / f"{period}-{lang}"
    for name in TABLES:
        now, then = (folder / name).read_bytes(), (kept / name).read_bytes()
        if now != then:
            lines = zip(now.decode("utf-8-sig").splitlines(), then.decode("utf-8-sig").splitlines())
            first = next(((k, a, b) for k, (a, b) in enumerate(lines, 1) if a != b), None)
            pytest.fail(f"{period}-{lang}/{name} differs from tests/data/golden"
                        + (f", first at line {first[0]}:\n now:    {first[1]}\n before: {first[2]}" if first
                           else " in its number of lines"))
    assert _cells(_workbook(folder)) == _cells(_workbook(kept)), f"{period}-{lang}: the workbook's cells differ"


def update() -> None:
    """Write the copies again from the code as it is."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for period, lang in RUNS:
            folder = _run(period, lang, Path(tmp))
            kept = GOLDEN / f"{period}-{lang}"
            shutil.rmtree(kept, ignore_errors=True)
            kept.mkdir(parents=True)
            for name in TABLES:
                shutil.copyfile(folder / name, kept / name)
            shutil.copyfile(_workbook(folder), kept / _workbook(folder).name)


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    update()
