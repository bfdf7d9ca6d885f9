"""The bad-input corpus (tests/bad_inputs/cases.toml): every case through the real
command line gives its exit code (1 or 2), a one- or two-line message holding the
expected fragment, and never a traceback."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent / "bad_inputs"))

from build import CASES, build  # noqa: E402

from cli import main  # noqa: E402


def test_corpus_is_large_and_names_are_unique():
    names = [case["name"] for case in CASES]
    assert len(names) >= 40 and len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_bad_input(case, tmp_path):
    places = build(case, tmp_path / "case")
    args = [arg.format(**places) for arg in case["args"]]
    result = CliRunner().invoke(main, ["-qq", *args])
    output = result.output
    assert "Traceback" not in output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == case["exit"] in (1, 2), output
    lines = [line for line in output.splitlines() if line.strip()]
    if args[0] == "check" and case["exit"] == 1:
        hits = [line for line in lines if line.startswith("error: ") and case["fragment"] in line]
        assert hits, output
    else:
        message = [line for line in lines if not line.startswith("Usage:") and not line.startswith("Try '")]
        assert 1 <= len(message) <= 2, output
        assert case["fragment"] in " ".join(message), output
