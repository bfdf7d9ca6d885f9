"""The bundled sample county: 望谟县 (Guizhou, 522326) with real names and codes (NBS 2023)
and generated geometry and attributes (see README.txt and generate.py)."""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).parent


def profile_path() -> Path:
    """The sample's profile.toml, which reads every file of the sample."""
    return SAMPLE_DIR / "profile.toml"
