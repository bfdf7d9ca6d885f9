"""Maps of many counties or townships, and the four bureau maps, are shared out between
this process and forked children (gis.child.share_out): every item is done once, the pages
are those one process writes, and an error in any process reaches the caller with the
other processes ended."""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import time
from pathlib import Path
from typing import Callable

import geopandas as gpd
import pytest

from benchmarks.map_benchmark import county
from gis import child, geometry
from gis.errors import CovermapError, OutputError
from maps import make_options, write_atlas
from test_map_aggregates import province


def needs_fork() -> None:
    if not child.fork_available():
        pytest.fail("this test needs Linux and two cores (fork)")   # CI runs there: never skipped silently


def pages(folder: Path) -> dict[str, str]:
    """Every HTML page under ``folder``, folium's random element ids replaced by their order
    of first appearance (the only part of a page that differs from one writing to the next)."""
    found = {}
    for path in sorted(folder.rglob("*.html")):
        ids: dict[str, str] = {}
        text = path.read_text(encoding="utf-8")
        found[path.relative_to(folder).as_posix()] = re.sub(
            r"[0-9a-f]{32}", lambda m: ids.setdefault(m.group(0), f"id{len(ids)}"), text)
    return found


def test_every_item_is_done_once_by_one_of_the_processes(tmp_path):
    needs_fork()

    def task(k: int) -> None:
        with open(tmp_path / f"{k}.txt", "x") as fh:   # "x": a second writing of k fails
            fh.write(str(os.getpid()))

    used = child.share_out(task, 23, "test items")
    assert used == min(geometry.THREADS, 23) > 1
    done = {int(path.stem): int(path.read_text()) for path in tmp_path.glob("*.txt")}
    assert sorted(done) == list(range(23))
    assert len(set(done.values())) == used
    assert {k for k, pid in done.items() if pid == os.getpid()} == set(range(0, 23, used))  # this process's share


def test_one_item_or_no_fork_stays_in_this_process(tmp_path, monkeypatch):
    pids = []
    assert child.share_out(lambda k: pids.append(os.getpid()), 1, "test items") == 1
    monkeypatch.setattr(child, "fork_available", lambda: False)
    assert child.share_out(lambda k: pids.append(os.getpid()), 5, "test items") == 1
    assert pids == [os.getpid()] * 6   # appended here, so done here


def test_no_more_children_than_the_free_memory_holds(monkeypatch, caplog):
    needs_fork()
    pids = []
    resident = child._resident_mb()
    monkeypatch.setattr(child, "_available_mb", lambda: 0.5 * child.CHILD_SHARE * resident)
    with caplog.at_level(logging.INFO, logger="gis.child"):
        assert child.share_out(lambda k: pids.append(os.getpid()), 6, "county maps") == 1
    assert pids == [os.getpid()] * 6
    assert "county maps: 1 process(es), as" in caplog.text and "MB of memory are free" in caplog.text
    monkeypatch.setattr(child, "_available_mb", lambda: 2.0 * child.CHILD_SHARE * resident * geometry.THREADS)
    assert child.share_out(lambda k: None, 6, "county maps") == min(geometry.THREADS, 6)
    monkeypatch.setattr(geometry, "THREADS", 4)   # three children wanted, memory for one
    monkeypatch.setattr(child, "_available_mb", lambda: 1.5 * child.CHILD_SHARE * resident)
    assert child.share_out(lambda k: None, 6, "county maps") == 2


def test_an_error_in_a_child_reaches_the_caller():
    needs_fork()

    def task(k: int) -> None:
        if k == 1:   # the first child's first item
            raise OutputError("counties/520102.html: cannot write the map (No space left on device)")

    with pytest.raises(OutputError, match=r"520102.html: cannot write the map \(No space left"):
        child.share_out(task, 4, "county maps")
    assert multiprocessing.active_children() == []


def test_an_error_here_ends_the_children():
    needs_fork()

    def task(k: int) -> None:
        if k == 0:
            raise OutputError("counties/520101.html: cannot write the map (Permission denied)")
        time.sleep(60)   # the children would still be busy, were they not ended

    with pytest.raises(OutputError, match="520101.html: cannot write the map"):
        child.share_out(task, 4, "county maps")
    assert multiprocessing.active_children() == []


def test_beside_runs_the_other_work_in_a_child_or_here_in_turn(tmp_path, monkeypatch):
    needs_fork()
    notes = tmp_path / "notes.txt"

    def note(what: str) -> Callable[[], None]:
        def work() -> None:
            with open(notes, "a", encoding="ascii") as fh:
                fh.write(f"{what} {os.getpid()}\n")
        return work

    extra_mb, cpu = child.beside(note("here"), note("there"), "test work")
    assert extra_mb >= 0 and cpu >= 0
    pids = dict(line.split() for line in notes.read_text(encoding="ascii").splitlines())
    assert pids["here"] == str(os.getpid()) != pids["there"]
    notes.unlink()
    monkeypatch.setattr(child, "_available_mb", lambda: 0.5 * child.CHILD_SHARE * child._resident_mb())
    assert child.beside(note("here"), note("there"), "test work") == (0.0, 0.0)
    assert notes.read_text(encoding="ascii").split() == ["here", str(os.getpid()), "there", str(os.getpid())]


def test_beside_an_error_here_ends_the_child_and_one_there_reaches_the_caller():
    needs_fork()

    def fail() -> None:
        raise OutputError("coverage.gpkg layer 'villages': cannot be written (disk full)")

    with pytest.raises(OutputError, match="coverage.gpkg layer 'villages'"):
        child.beside(fail, lambda: time.sleep(60), "test work")   # the child would still be sleeping
    assert multiprocessing.active_children() == []
    with pytest.raises(OutputError, match="coverage.gpkg layer 'villages'"):
        child.beside(lambda: None, fail, "test work")
    assert multiprocessing.active_children() == []
    with pytest.raises(CovermapError, match=r"child process for the CSV tables stopped without an answer \(exit code 9"):
        child.beside(lambda: None, lambda: os._exit(9), "the CSV tables")   # as if killed for memory


def written(tmp_path: Path, name: str, villages, infrastructure=None, **kwargs) -> dict[str, str]:
    folder = tmp_path / name
    folder.mkdir()
    write_atlas(villages, infrastructure, folder, make_options(lang="en"), **kwargs)
    return pages(folder)


def test_county_maps_written_by_several_processes_are_the_one_process_maps(tmp_path, monkeypatch, caplog):
    """Five counties, with clinics on the maps (each county map finds them through the
    spatial index built before the fork): the same pages whichever process wrote them."""
    needs_fork()
    villages = province(600)
    seats = villages.geometry.representative_point()
    clinics = gpd.GeoDataFrame({"name": [f"clinic of {code}" for code in villages["village_code"]],
                                "kind": "clinic", "qualifies": True}, geometry=seats.to_numpy(), crs=villages.crs)
    with caplog.at_level(logging.INFO, logger="gis.child"):
        shared = written(tmp_path, "shared", villages, {"clinics": clinics})
    assert f"county maps: {min(geometry.THREADS, 5)} processes" in caplog.text
    assert f"bureau maps: {min(geometry.THREADS, 4)} processes" in caplog.text
    monkeypatch.setattr(child, "fork_available", lambda: False)
    alone = written(tmp_path, "alone", villages, {"clinics": clinics})
    counties = [f"5201{row:02d}" for row in range(5)]
    assert [name for name in shared if name.startswith("counties/")] == [f"counties/{c}.html" for c in counties]
    assert [name for name in shared if name.startswith("map_")] == [
        "map_health.html", "map_telecom.html", "map_transport.html", "map_water.html"]
    assert shared == alone   # every page: county maps, bureau maps, overview, index
    codes = villages["village_code"].tolist()
    for own in counties:   # each county's own clinics; none of a county two rows away
        page = shared[f"counties/{own}.html"]
        far = f"5201{(int(own[4:]) + 2) % 5:02d}"
        assert all(f"clinic of {code}" in page for code in codes if code.startswith(own))
        assert not any(f"clinic of {code}" in page for code in codes if code.startswith(far))


def test_township_maps_written_by_several_processes_are_the_one_process_maps(tmp_path, monkeypatch):
    needs_fork()
    villages = county(300, 5)   # one county of 25 townships: a map per township
    shared = written(tmp_path, "shared", villages, township_maps_above=0)
    monkeypatch.setattr(child, "fork_available", lambda: False)
    alone = written(tmp_path, "alone", villages, township_maps_above=0)
    assert len([name for name in shared if name.startswith("townships/")]) == villages["township_code"].nunique() == 25
    assert shared == alone


def _touch(mb: int) -> bytearray:
    buffer = bytearray(mb << 20)
    buffer[::4096] = b"x" * len(range(0, len(buffer), 4096))   # each page made resident
    return buffer


def test_a_peak_window_holds_its_own_block_and_the_peak_so_far_stays():
    """A child's memory is added to what this process held while it ran, not to a peak of
    long before; the process's peak so far is still the earlier one."""
    if not os.path.exists("/proc/self/clear_refs"):
        pytest.fail("this test needs Linux (/proc/self/clear_refs)")   # CI runs there
    earlier = _touch(400)
    del earlier
    before = child.peak_mb()
    resident = child._resident_mb()
    assert before >= resident + 380
    with child.PeakWindow() as window:
        block = _touch(100)
    del block
    assert resident + 90 <= window.mb <= before - 250   # the block's 100 MB, not the 400 MB before it
    assert child.peak_mb() >= before
    assert child.under_peak(0.0) and not child.under_peak(20.0)
    assert child.under_peak((before - 50) / child._resident_mb() - 1.0)
