"""Nothing half-written: a run killed mid-way, or failing while it writes, leaves the
previous outputs complete and byte-identical; what a killed run leaves behind does not
disturb the next run."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from county_files import write_county


def _digests(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder`` (staging folders left out)."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and not path.relative_to(folder).parts[0].startswith(".covermap-")}


def _staging(folder: Path) -> list[Path]:
    return [entry for entry in folder.iterdir() if entry.name.startswith(".covermap-")]


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A folder holding the complete outputs of an earlier run of the sample county."""
    out = tmp_path_factory.mktemp("atomic") / "out"
    done = CliRunner().invoke(main, ["-q", "demo", str(out)])
    assert done.exit_code == 0, done.output
    return out


def test_killed_run_leaves_previous_outputs_and_the_next_run_cleans_up(previous):
    before = _digests(previous)
    assert {"coverage.gpkg", "villages.csv", "gaps.csv", "run.json", "map.html"} <= set(before)
    killed = False
    for _ in range(8):  # the staging window is short; try until the kill lands inside it
        process = subprocess.Popen([sys.executable, "-m", "cli", "-q", "demo", str(previous), "--overwrite"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while process.poll() is None and not _staging(previous):
            time.sleep(0.001)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
            killed = True
            break
        process.wait()
        before = _digests(previous)  # it finished first: its outputs are the previous ones now
    assert killed, "the run always finished before it could be killed"
    assert process.returncode == -signal.SIGKILL
    assert _digests(previous) == before
    assert _staging(previous), "a killed run leaves its staging folder behind"

    again = CliRunner().invoke(main, ["-q", "demo", str(previous), "--overwrite"])
    assert again.exit_code == 0, again.output
    assert _staging(previous) == []
    assert set(_digests(previous)) >= set(before)


def test_failing_map_writer_leaves_previous_outputs(tmp_path):
    """The map writer fails half-way through its file, after the tables were staged."""
    profile = write_county(tmp_path / "county")
    out = tmp_path / "out"
    assert CliRunner().invoke(main, ["-q", "run", str(profile), "-o", str(out)]).exit_code == 0
    before = _digests(out)

    from layers.pipeline import assess, publish
    from layers.profile import load_profile

    def broken_map(path: Path) -> None:
        path.write_text("<html>half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        publish(assess(load_profile(profile)), out, overwrite=True, extras={"map.html": broken_map})
    assert _digests(out) == before
    assert _staging(out) == []


def test_staging_of_a_live_run_is_left_alone(tmp_path):
    from layers.pipeline import _remove_stale_staging

    live = tmp_path / f".covermap-{os.getpid()}-abc"
    live.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f".covermap-{dead.stdout.strip()}-xyz"
    stale.mkdir()
    (stale / "villages.csv").write_text("half", encoding="utf-8")
    _remove_stale_staging(tmp_path)
    assert live.exists() and not stale.exists()


def test_a_writer_of_several_outputs_moves_them_all_and_guards_them_all(tmp_path):
    """A writer listing ``outputs`` (maps.atlas: the four bureau maps written side by side)
    has every one of them moved into place, refused when one exists without --overwrite,
    and its step named after all of them in run.json."""
    import json

    from gis.errors import OutputError
    from layers.pipeline import assess, publish
    from layers.profile import load_profile

    def two(path: Path) -> None:
        path.write_text("first", encoding="utf-8")
        (path.parent / "second.html").write_text("second", encoding="utf-8")

    two.outputs = ("first.html", "second.html")
    result = assess(load_profile(write_county(tmp_path / "county")))
    out = tmp_path / "out"
    publish(result, out, extras={"first.html": two})
    assert (out / "first.html").read_text(encoding="utf-8") == "first"
    assert (out / "second.html").read_text(encoding="utf-8") == "second"
    assert "write first.html, second.html" in json.loads((out / "run.json").read_text(encoding="utf-8"))["seconds"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "second.html").write_text("a reviewer's copy", encoding="utf-8")
    with pytest.raises(OutputError, match="second.html"):
        publish(result, other, extras={"first.html": two})
    assert [path.name for path in other.iterdir()] == ["second.html"]
