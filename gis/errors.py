"""One small error hierarchy; every class also subclasses the matching built-in.

Messages name the file, layer, column, village code or profile key and say how to
fix the problem. Library code raises these; only ``cli`` turns them into exit codes.
"""

from __future__ import annotations


class CovermapError(Exception):
    """Base class of every problem covermap explains to its user."""


class ConfigError(CovermapError, ValueError):
    """The profile is wrong: unknown key, bad value, missing section."""


class DataError(CovermapError, ValueError):
    """An input file cannot be used as the profile says."""


class CRSError(DataError):
    """An input has no CRS, an unknown one, or one that does not fit its data."""


class OutputError(CovermapError, OSError):
    """An output cannot be written (exists without --overwrite, not writable)."""
