"""Outputs switch as a whole (gis.outdir, layers.pipeline.publish): whatever stops a run, and
whenever OUTDIR is looked at, it holds every output of the previous run or every output of
the new one, never some of each; the user's own files in it stay; the next run repairs
what a stopped one left; a second run into the same folder stops, naming the first.

The previous set is the sample county with its maps (171 villages); the new set the
hand-drawn county without maps, so the two differ in their files as well as their values."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from county_files import write_county
from layers.pipeline import TABLES
from layers.sample import profile_path

NEW_NAMES = {*TABLES, "问题清单.xlsx", "run.json"}   # the workbook written with --no-maps too
USER = {"notes.txt": b"my notes", "photos/a.jpg": b"\xff\xd8 a photo", "photos/trip/b.txt": b"nested"}


def _digests(folder: Path) -> dict[str, str]:
    return {path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _rows(path: Path) -> int:
    return len(path.read_text(encoding="utf-8-sig").splitlines()) - 1


def _leftovers(out: Path) -> list[str]:
    """What covermap left beside OUTDIR (lock, staging or set-aside folders) or inside it."""
    beside = [entry.name for entry in out.parent.iterdir() if entry.name.startswith(f".{out.name}.covermap")]
    inside = [entry.name for entry in out.iterdir() if entry.name.startswith(".covermap")] if out.exists() else []
    return beside + inside


@pytest.fixture(scope="module")
def sets(tmp_path_factory):
    """The previous set (the sample county with maps, and the user's files) and the new set
    as a run writes it in an empty folder, with the command that writes it."""
    base = tmp_path_factory.mktemp("sets")
    previous = base / "previous"
    done = CliRunner().invoke(main, ["-qq", "run", str(profile_path()), "-o", str(previous)])
    assert done.exit_code == 0, done.output
    for name, content in USER.items():
        (previous / name).parent.mkdir(parents=True, exist_ok=True)
        (previous / name).write_bytes(content)
    profile = write_county(base / "county")
    new = base / "new"
    done = CliRunner().invoke(main, ["-qq", "run", str(profile), "-o", str(new), "--no-maps"])
    assert done.exit_code == 0, done.output
    record = json.loads((new / "run.json").read_text(encoding="utf-8"))
    assert record["villages"] != 171 and record["outputs"] == [*TABLES, "问题清单.xlsx", "run.json"]
    return previous, new, profile


def _fresh(sets, tmp_path: Path) -> Path:
    previous = sets[0]
    out = tmp_path / "parent" / "out"
    shutil.copytree(previous, out.parent / "out")
    return out


def _command(profile: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "cli", "-qq", "run", str(profile), "-o", str(out), "--overwrite", "--no-maps"]


def _state(out: Path, sets) -> str:
    """'old' when OUTDIR is the previous set byte for byte (the user's files included), 'new'
    when it holds exactly the new set's outputs, with the new set's tables, and the user's
    files; fails on anything else (a mix, a part, a missing file of the user)."""
    previous, new, _ = sets
    found = _digests(out)
    for name, content in USER.items():
        assert found.get(name) == hashlib.sha256(content).hexdigest(), f"the user's {name} is not in {out}"
    if found == _digests(previous):
        return "old"
    names = {entry.name for entry in out.iterdir()}
    assert names == NEW_NAMES | {"notes.txt", "photos"}, f"neither whole set: {sorted(names)}"
    for name in TABLES[1:]:
        assert (out / name).read_bytes() == (new / name).read_bytes(), f"{name} is not the new run's"
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    expected = json.loads((new / "run.json").read_text(encoding="utf-8"))
    assert (record["villages"], record["gaps"], record["outputs"]) == \
        (expected["villages"], expected["gaps"], expected["outputs"])
    assert record["villages"] == _rows(out / "villages.csv") and record["gaps"] == _rows(out / "gaps.csv")
    return "new"


def _next_run_repairs(out: Path, sets) -> None:
    done = CliRunner().invoke(main, ["-qq", "run", str(sets[2]), "-o", str(out), "--overwrite", "--no-maps"])
    assert done.exit_code == 0, done.output
    assert _state(out, sets) == "new"
    assert _leftovers(out) == []


SWITCH = [("locked", "old"), ("tables", "old"), ("staged", "old"), ("linked", "old"),
          ("switched", "new"), ("carried", "new"), ("cleaned", "new")]


@pytest.mark.parametrize(("step", "expected"), SWITCH)
def test_a_run_killed_at_each_step_of_the_switch_leaves_one_whole_set(sets, tmp_path, step, expected):
    out = _fresh(sets, tmp_path)
    killed = subprocess.run(_command(sets[2], out), env={**os.environ, "COVERMAP_TEST_DIE_AT": step},
                            capture_output=True, text=True)
    assert killed.returncode == 137, killed.stderr
    assert _state(out, sets) == expected
    _next_run_repairs(out, sets)


@pytest.mark.parametrize(("step", "expected"), [("linked", "old"), ("set-aside", None), ("switched", "new"),
                                                ("carried", "new")])
def test_without_the_exchange_two_renames_and_a_kill_between_them_is_put_back(sets, tmp_path, step, expected):
    """Where renameat2's exchange is not available: between the two renames OUTDIR is
    absent (never mixed), and the next run puts the previous set back before it starts."""
    from gis.outdir import OutputFolder
    from layers.pipeline import is_output

    out = _fresh(sets, tmp_path)
    env = {**os.environ, "COVERMAP_TEST_DIE_AT": step, "COVERMAP_TEST_NO_EXCHANGE": "1"}
    killed = subprocess.run(_command(sets[2], out), env=env, capture_output=True, text=True)
    assert killed.returncode == 137, killed.stderr
    if expected is None:
        assert not out.exists()
        with OutputFolder(out, is_output=is_output):   # what the next run does first
            pass
        expected = "old"
    assert _state(out, sets) == expected
    _next_run_repairs(out, sets)


def test_runs_killed_at_random_moments_leave_one_whole_set(sets, tmp_path):
    out = _fresh(sets, tmp_path)
    started = time.monotonic()
    subprocess.run(_command(sets[2], tmp_path / "timing"), check=True, capture_output=True)
    took = time.monotonic() - started
    rng = random.Random(18)
    seen = []
    for _ in range(6):
        shutil.rmtree(out)
        shutil.copytree(sets[0], out)
        process = subprocess.Popen(_command(sets[2], out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 1.1) * took)
        process.send_signal(signal.SIGKILL)
        process.wait()
        seen.append(_state(out, sets))
    assert set(seen) <= {"old", "new"}
    _next_run_repairs(out, sets)


def test_a_second_run_into_the_same_folder_stops_naming_the_first(sets, tmp_path):
    out = _fresh(sets, tmp_path)
    go = tmp_path / "go"
    first = subprocess.Popen(_command(sets[2], out), env={**os.environ, "COVERMAP_TEST_WAIT_AT": f"locked:{go}"},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = out.parent / ".out.covermap.lock"
    until = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip() == str(first.pid)) and time.monotonic() < until:
        time.sleep(0.02)
    second = subprocess.run(_command(sets[2], out), capture_output=True, text=True)
    assert second.returncode == 1
    assert second.stderr.strip() == (f"Error: {out}: another covermap run (pid {first.pid}) is writing this output "
                                     "folder; wait for it to end or choose another output folder")
    assert _state(out, sets) == "old"
    go.touch()
    assert first.wait(timeout=120) == 0, first.stderr.read()
    assert _state(out, sets) == "new"
    assert _leftovers(out) == []


def test_two_runs_started_together_into_a_new_folder_one_stops(sets, tmp_path):
    """Neither loses silently: the one that comes second exits 1 naming the other; the
    folder holds the whole set of the one that ran."""
    out = tmp_path / "new-folder"
    go = tmp_path / "go"
    env = {**os.environ, "COVERMAP_TEST_WAIT_AT": f"locked:{go}"}
    runs = [subprocess.Popen(_command(sets[2], out), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]
    stopped = None
    until = time.monotonic() + 60
    while stopped is None and time.monotonic() < until:
        stopped = next((run for run in runs if run.poll() is not None), None)
        time.sleep(0.02)
    go.touch()
    other = runs[1] if stopped is runs[0] else runs[0]
    assert stopped.returncode == 1
    assert f"another covermap run (pid {other.pid})" in stopped.stderr.read()
    assert other.wait(timeout=120) == 0
    assert {entry.name for entry in out.iterdir()} == NEW_NAMES
    assert _leftovers(out) == []


def test_overwrite_without_maps_removes_the_previous_maps_and_keeps_the_users_files(sets, tmp_path):
    out = _fresh(sets, tmp_path)
    assert {"map.html", "index.html", "townships"} <= {entry.name for entry in out.iterdir()}
    _next_run_repairs(out, sets)   # exactly the tables, run.json and the user's files


def test_a_folder_written_before_run_json_listed_its_outputs_is_replaced_whole(sets, tmp_path):
    out = _fresh(sets, tmp_path)
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    del record["outputs"]
    (out / "run.json").write_text(json.dumps(record), encoding="utf-8")
    _next_run_repairs(out, sets)


def test_a_user_file_replaced_during_the_run_keeps_its_new_version(sets, tmp_path):
    """An editor saving notes.txt (a new file renamed over the old) after the run linked it
    into the staging folder: the version in OUTDIR after the switch is the saved one."""
    out = _fresh(sets, tmp_path)
    go = tmp_path / "go"
    run = subprocess.Popen(_command(sets[2], out), env={**os.environ, "COVERMAP_TEST_WAIT_AT": f"linked:{go}"},
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    until = time.monotonic() + 60
    while not (out.parent / f".out.covermap-{run.pid}-new" / "notes.txt").exists() and time.monotonic() < until:
        time.sleep(0.02)
    (out / "notes.saved").write_bytes(b"edited meanwhile")
    os.replace(out / "notes.saved", out / "notes.txt")
    (out / "photos" / "c.txt").write_bytes(b"added meanwhile")
    go.touch()
    assert run.wait(timeout=120) == 0, run.stderr.read()
    assert (out / "notes.txt").read_bytes() == b"edited meanwhile"
    assert (out / "photos" / "c.txt").read_bytes() == b"added meanwhile"
    assert (out / "photos" / "a.jpg").read_bytes() == USER["photos/a.jpg"]
    assert _leftovers(out) == []


def test_an_input_under_an_output_name_is_refused_and_kept(sets, tmp_path):
    """A seats table called villages.csv inside OUTDIR: never written over, even with --overwrite."""
    profile = write_county(tmp_path / "county")
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(profile.parent / "seats.csv", out / "villages.csv")
    text = profile.read_text(encoding="utf-8").replace('path = "seats.csv"', f'path = "{out / "villages.csv"}"')
    assert text != profile.read_text(encoding="utf-8")
    profile.write_text(text, encoding="utf-8")
    before = _digests(out)
    said = {"": f"Error: {out}: already holds villages.csv; pass --overwrite to replace them or choose another "
                "output folder\n",
            "--overwrite": f"Error: {out / 'villages.csv'}: is an input of this run, and the run replaces "
                           f"villages.csv in {out}; move the input out of {out} or choose another output folder\n"}
    for extra, message in said.items():
        done = CliRunner().invoke(main, ["-qq", "run", str(profile), "-o", str(out), "--no-maps", *extra.split()])
        assert (done.exit_code, done.output) == (1, message)
        assert _digests(out) == before and _leftovers(out) == []


def test_disk_full_while_run_json_is_written_leaves_the_previous_set(sets, tmp_path, monkeypatch):
    out = _fresh(sets, tmp_path)
    real = Path.write_text

    def full(self, *args, **kwargs):
        if self.name == "run.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full)
    done = CliRunner().invoke(main, ["-qq", "run", str(sets[2]), "-o", str(out), "--overwrite", "--no-maps"])
    assert done.exit_code == 1
    assert done.output == (f"Error: {out}: cannot write run.json (No space left on device); the previous "
                           "outputs are unchanged\n")
    assert _state(out, sets) == "old" and _leftovers(out) == []


@pytest.fixture
def tiny_disk(tmp_path):
    """A tmpfs of its own (needs the right to mount; skipped without it)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_real_full_disk_leaves_the_previous_set(sets, tiny_disk):
    """The previous set (7.8 MB with its maps) fits the 12 MB disk once, not with a second beside it."""
    out = tiny_disk / "out"
    shutil.copytree(sets[0], out)
    done = CliRunner().invoke(main, ["-qq", "run", str(profile_path()), "-o", str(out), "--overwrite"])
    assert done.exit_code == 1
    assert done.output.startswith(f"Error: {out}") and "(No space left on device)" in done.output
    assert done.output.count("\n") == 1 and ".covermap" not in done.output
    assert _state(out, sets) == "old" and _leftovers(out) == []


def test_a_read_only_disk_is_one_line_and_leaves_the_previous_set(sets, tiny_disk):
    out = tiny_disk / "out"
    shutil.copytree(sets[0], out)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    done = CliRunner().invoke(main, ["-qq", "run", str(sets[2]), "-o", str(out), "--overwrite", "--no-maps"])
    assert done.exit_code == 1
    assert done.output.startswith(f"Error: {tiny_disk}: cannot write beside {out} (Read-only file system)")
    assert done.output.count("\n") == 1
    assert _state(out, sets) == "old" and _leftovers(out) == []


def test_a_read_only_output_folder_is_refused(sets, tmp_path, monkeypatch):
    """chmod has no hold on root, who runs these tests: the answer of access() stands in."""
    import gis.outdir

    out = _fresh(sets, tmp_path)
    access = os.access
    monkeypatch.setattr(gis.outdir.os, "access", lambda path, mode: access(path, mode) and not (
        Path(path) == out and mode & os.W_OK))
    done = CliRunner().invoke(main, ["-qq", "run", str(sets[2]), "-o", str(out), "--overwrite", "--no-maps"])
    assert done.exit_code == 1
    assert done.output == (f"Error: {out}: the output folder is read-only; make it writable or choose another "
                           "output folder\n")
    assert _state(out, sets) == "old" and _leftovers(out) == []


def test_a_failed_switch_names_what_is_in_the_way(sets, tmp_path, monkeypatch):
    """OUTDIR replaced by a file while the run wrote: the exchange fails; the message says what is there."""
    from gis.errors import OutputError
    from layers.pipeline import assess, claim, publish
    from layers.profile import load_profile

    out = tmp_path / "out"
    with claim(out) as folder:
        result = assess(load_profile(sets[2]))
        out.rmdir()
        out.write_text("someone's file", encoding="utf-8")
        with pytest.raises(OutputError) as error:
            publish(result, folder)
    assert str(error.value) == (f"{out}: cannot switch to the new outputs: {out} is a file of 14 bytes, put there "
                                "while the run went; move it away and run again")
    assert out.read_text(encoding="utf-8") == "someone's file"
    assert [entry.name for entry in tmp_path.iterdir() if "covermap" in entry.name] == []


def test_failing_map_writer_leaves_previous_outputs(sets, tmp_path):
    """The map writer fails half-way through its file, after the tables were staged."""
    from layers.pipeline import assess, publish
    from layers.profile import load_profile

    out = _fresh(sets, tmp_path)

    def broken_map(path: Path) -> None:
        path.write_text("<html>half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match=f"{out}: cannot write map.html \\(disk full\\)"):
        publish(assess(load_profile(sets[2])), out, overwrite=True, extras={"map.html": broken_map})
    assert _state(out, sets) == "old" and _leftovers(out) == []


def test_a_writer_of_several_outputs_moves_them_all_and_guards_them_all(sets, tmp_path):
    """A writer listing ``outputs`` (maps.atlas: the four bureau maps written side by side)
    has every one of them switched in, refused when one exists without --overwrite, and
    its step named after all of them in run.json."""
    from gis.errors import OutputError
    from layers.pipeline import assess, publish
    from layers.profile import load_profile

    def two(path: Path) -> None:
        path.write_text("first", encoding="utf-8")
        (path.parent / "second.html").write_text("second", encoding="utf-8")

    two.outputs = ("first.html", "second.html")
    result = assess(load_profile(sets[2]))
    out = tmp_path / "out"
    publish(result, out, extras={"first.html": two})
    assert (out / "first.html").read_text(encoding="utf-8") == "first"
    assert (out / "second.html").read_text(encoding="utf-8") == "second"
    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "write first.html, second.html" in record["seconds"]
    assert record["outputs"] == [*TABLES, "问题清单.xlsx", "first.html", "second.html", "run.json"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "second.html").write_text("a reviewer's copy", encoding="utf-8")
    with pytest.raises(OutputError, match="already holds second.html"):
        publish(result, other, extras={"first.html": two})
    assert [path.name for path in other.iterdir()] == ["second.html"]
    assert _leftovers(other) == []
