"""A run without maps never loads folium (it was most of a small run's start-up)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from layers.sample import profile_path

PROBE = """
import sys
from cli import main
main(["-qq", "run", sys.argv[1], "-o", sys.argv[2], "--no-maps"], standalone_mode=False)
print("folium" in sys.modules, "branca" in sys.modules)
"""


def test_no_maps_never_imports_folium(tmp_path):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", PROBE, str(profile_path()), str(out)], capture_output=True,
                          text=True, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["False", "False"]
    assert (out / "villages.csv").exists() and not (out / "map.html").exists()


def test_with_maps_folium_draws_them(tmp_path):
    probe = PROBE.replace(', "--no-maps"', "")
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", probe, str(profile_path()), str(out)], capture_output=True,
                          text=True, cwd=Path(__file__).parents[1])
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-2:] == ["True", "True"] and (out / "map.html").exists()
