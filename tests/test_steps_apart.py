"""Steps run in a forked child process (water, clinic and fibre, for 10k-200k villages)
give the tables of steps run one after another; an error in the child or beside it
reaches the caller as raised and ends the child."""

from __future__ import annotations

import logging
import time

import pandas as pd
import pytest

from gis.errors import CovermapError, DataError
from layers import pipeline
from gis.child import Child, fork_available
from layers.pipeline import assess
from layers.profile import load_profile


def test_steps_in_a_child_process_give_the_single_process_tables(monkeypatch, country, caplog):
    if not fork_available():
        pytest.fail("this test needs Linux and two cores (fork)")   # CI runs there: never skipped silently
    profile = load_profile(country / "profile.toml")
    monkeypatch.setattr(pipeline, "FORK_ABOVE", 10**9)
    alone = assess(profile)
    monkeypatch.setattr(pipeline, "FORK_ABOVE", 0)
    with caplog.at_level(logging.INFO, logger="layers.pipeline"):
        forked = assess(profile)
    assert all(f"{key} (in a child process" in caplog.text for key in ("water", "clinic", "fibre"))
    pd.testing.assert_frame_equal(pd.DataFrame(forked.villages), pd.DataFrame(alone.villages))
    pd.testing.assert_frame_equal(forked.gaps, alone.gaps)
    assert list(forked.seconds) == list(alone.seconds) == list(forked.cpu_seconds)
    assert forked.seconds["water"] > 0 and forked.peak_memory_mb["water"] >= forked.peak_memory_mb["read"]
    assert "road (in a child" not in caplog.text and "net4g (in a child" not in caplog.text


def test_a_child_process_error_reaches_the_caller_as_raised():
    def bad():
        raise DataError("water.gpkg: column 'lpcd' row 3 holds 'x', not a number")

    with pytest.raises(DataError, match="row 3 holds 'x'"):
        Child(bad, "water").outcome()

    def killed():
        import os
        os._exit(9)

    with pytest.raises(CovermapError, match="child process for water stopped without an answer .exit code 9"):
        Child(killed, "water").outcome()
    assert Child(lambda: pd.DataFrame({"a": [1, 2]}), "water").outcome().value["a"].tolist() == [1, 2]


def test_an_error_beside_the_child_process_ends_it(monkeypatch):
    def slow():
        time.sleep(60)
        return pd.DataFrame()

    def bad():
        raise DataError("roads.shp: column 'width' row 2 holds 'wide', not a number")

    started = []
    monkeypatch.setattr(pipeline, "Child", lambda *args: started.append(Child(*args)) or started[-1])
    with pytest.raises(DataError, match="row 2 holds 'wide'"):
        pipeline._run_steps({"road": bad, "water": slow}, ("water",), {}, {}, {})
    assert len(started) == 1 and not started[0]._process.is_alive()
