"""What run and demo say on stderr: by default one line per step as it starts (a bar with
counts on a terminal, never on a pipe or file), -v each step's seconds and memory, -q no
steps; demo's deliberate sample problems as one note, not as warnings."""

import io
import logging
import re
import sys

import pytest
from click.testing import CliRunner

import cli
from cli import main
from county_files import write_county
from gis import progress

STEP_LINES = ["读取输入…", "逐村判定各项标准…", "整理问题清单…", "写出表格…", "写出问题清单工作簿…"]


@pytest.fixture
def county(tmp_path):
    return write_county(tmp_path / "county")


@pytest.fixture
def logging_restored():
    """The handlers and levels cli._log_levels changes, put back after the test."""
    root = logging.getLogger()
    names = ("covermap", "gis", "layers", "maps", "gis.progress")
    before = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:] = before[0]
    root.setLevel(before[1])
    for name, level in before[2].items():
        logging.getLogger(name).setLevel(level)


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def test_default_names_each_step_once_and_is_short(county, tmp_path, logging_restored):
    result = run("run", county, "-o", tmp_path / "out", "--no-maps")
    lines = result.stderr.splitlines()
    assert [line for line in lines if not line.startswith("warning:")] == STEP_LINES
    assert len(lines) <= 8
    assert not re.search(r"\d s\b", result.stderr)          # no seconds by default
    assert "5 个村" in result.stdout
    assert "\r" not in result.output and "\x1b" not in result.output   # not a terminal: no bars


def test_every_step_the_pipeline_times_is_announced_in_both_languages():
    """A step key of no phase would be shown as it is, in English, to a Chinese user (the road
    network's once was): each literal step of layers/pipeline.py belongs to a phase with words."""
    from pathlib import Path

    from layers.steps import PHASES, phase

    source = (Path(__file__).parent.parent / "layers" / "pipeline.py").read_text(encoding="utf-8")
    steps = set(re.findall(r'_timed\([^,]+, f?"([^"{]+)', source)) | {"write map.html"}
    assert {"read", "road network", "gaps", "write tables"} <= steps
    assert {step: phase(step) for step in steps if phase(step) not in PHASES} == {}


def test_english_steps_and_maps_step(county, tmp_path, logging_restored):
    result = run("run", county, "-o", tmp_path / "out", "--lang", "en")
    steps = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    assert steps == ["reading inputs…", "checking every village against the standards…", "listing the gaps…",
                     "writing the tables…", "writing the workbooks…", "drawing the maps…"]


def test_verbose_shows_seconds_and_memory(county, tmp_path, logging_restored):
    result = run("-v", "run", county, "-o", tmp_path / "out", "--no-maps")
    assert re.search(r"^read: \d+\.\d\d s, peak memory \d+ MB$", result.stderr, re.M)
    assert re.search(r"^write tables: \d+\.\d\d s", result.stderr, re.M)
    assert "读取输入…" in result.stderr and "\r" not in result.output
    assert len(result.stderr.splitlines()) > 12


def test_quiet_shows_warnings_but_no_steps(county, tmp_path, logging_restored):
    result = run("-q", "run", county, "-o", tmp_path / "out", "--no-maps")
    assert "读取输入…" not in result.stderr and "warning:" in result.stderr
    assert run("-qq", "run", county, "-o", tmp_path / "out2", "--no-maps").stderr == ""


def test_demo_notes_its_deliberate_problems_instead_of_warning(tmp_path, logging_restored):
    result = run("demo", tmp_path / "demo")
    assert "warning" not in result.stderr.lower()
    note = result.stderr.splitlines()[-1]
    assert "样例县有意设置了 1 处数据问题" in note and "covermap check" in note and "profile_all.toml" in note
    lines = result.stderr.splitlines()
    # each period's steps after a line naming it: 2025-12-31, then 2026-11-30 with the ledger read back
    assert [line for line in lines if "的数据 → " in line] == [f"2025-12-31 的数据 → {tmp_path / 'demo' / '2025'}",
                                                          f"2026-11-30 的数据 → {tmp_path / 'demo' / '2026'}"]
    assert lines.count("读取输入…") == 2 and "核查整改台账…" in lines and len(lines) <= 18
    assert "\r" not in result.output and "\x1b" not in result.output


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_a_terminal_gets_a_bar_with_counts_erased_before_other_lines(monkeypatch, logging_restored):
    cli._log_levels(0)
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(cli._Console, "REDRAW_S", 0.0)
    progress.begin("read")
    progress.advance("files", 1, 4)
    progress.advance("files", 4, 4)
    logging.getLogger("layers.inputs").warning("warning: something")
    progress.begin("road")
    progress.begin("water")   # the same phase: not announced again
    progress.advance("shares", 2, 10)
    cli._finish_progress()
    text = screen.getvalue()
    assert text.startswith("读取输入…\n\r\x1b[K  [#####...............] 1/4 个文件")
    assert "] 4/4 个文件\r\x1b[Kwarning: something\n逐村判定各项标准…\n" in text
    assert text.count("逐村判定各项标准…") == 1
    assert text.endswith("2/10 个村的面积占比\r\x1b[K")


def test_progress_from_a_forked_child_is_not_drawn(monkeypatch, logging_restored):
    cli._log_levels(0)
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    monkeypatch.setattr(cli._console(), "_pid", -1)   # as if this were a child of the process that drew
    progress.advance("files", 1, 4)
    assert screen.getvalue() == ""
