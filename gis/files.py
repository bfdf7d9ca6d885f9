"""Input paths that are not ordinary files: a device (/dev/zero), a pipe, a socket.

Reading one would never end (an endless device) or block for ever (a pipe nobody writes
to), so every input is checked before it is opened, hashed or read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from gis.errors import DataError


def ordinary(path: str | os.PathLike, what: str = "data", *, folders: bool = True,
             error: type[Exception] = DataError) -> Path:
    """``path`` when it is a regular file (or, with ``folders``, a folder: a FileGDB);
    ``error`` naming the file otherwise. A path that does not exist is left to the reader,
    which says so in its own words."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise error(f"{path}: cannot be read ({exc.strerror}); check the path and its permissions") from None
    if stat.S_ISREG(mode) or (folders and stat.S_ISDIR(mode)):
        return path
    kind = ("a folder" if stat.S_ISDIR(mode) else "a pipe (FIFO)" if stat.S_ISFIFO(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a special file")
    raise error(f"{path}: is {kind}, not a {what} file that can be read to its end; give the path of the "
                f"{what} file itself")


def read_bounded(path: str | os.PathLike, limit: int, what: str, error: type[Exception] = DataError) -> bytes:
    """The bytes of a small file (a profile), refusing one larger than ``limit`` bytes
    rather than reading it all (a path at the wrong file, a file that never ends)."""
    path = ordinary(path, what, folders=False, error=error)
    with open(path, "rb") as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise error(f"{path}: is larger than {limit // (1 << 20)} MB, far too large for a {what}; "
                    f"is this the right file?")
    return data
