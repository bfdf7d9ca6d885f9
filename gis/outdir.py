"""An output folder switched whole: a reader of OUTDIR sees every output of the previous run
or every output of the new one, never some of each, whenever it looks and whatever stops
the run.

A run builds its outputs in a staging folder beside OUTDIR, in OUTDIR's parent, then
exchanges the two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``). While it goes,
the parent holds, hidden, all gone when it ends:

    .<name>.covermap.lock        the lock (fcntl): the pid of the run writing OUTDIR, and
                                 which folder (device and inode) is its staging folder
    .<name>.covermap-<pid>-new   the staging folder; after the exchange, the previous set
    .<name>.covermap-<pid>-old   where the exchange is not available: OUTDIR set aside

What OUTDIR holds that is not an output of the previous run (the user's own files and
folders) goes into the staging folder as hard links before the switch, so it stays in
OUTDIR throughout; what cannot be linked, or was replaced meanwhile, is moved over after.
The outputs of the previous run are known from the list its record (run.json) keeps, or
for a folder written before there was one, from ``is_output``.

Where the exchange is not available (other systems; FAT, exFAT and network file systems)
the switch is two renames, between which OUTDIR is absent for an instant (never mixed).
A run killed at any point leaves one of these states; the next run into OUTDIR puts it
right before it starts (``OutputFolder.__enter__``): the folder the lock file names is the
new set wherever it is, any other is a previous set.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import json
import logging
import os
import re
import shutil
import stat
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from gis.errors import OutputError

log = logging.getLogger(__name__)

_LEGACY = re.compile(r"\.covermap-\d+-")   # staging folders inside OUTDIR, of covermap before 0.x
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2
_UNSUPPORTED = {errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}


def checkpoint(step: str) -> None:
    """For the tests only: ``COVERMAP_TEST_DIE_AT=<step>`` ends the process at ``step`` as a
    kill would (no clean-up, exit status 137); ``COVERMAP_TEST_WAIT_AT=<step>:<file>``
    waits there until ``file`` exists (at most a minute)."""
    if os.environ.get("COVERMAP_TEST_DIE_AT") == step:
        os._exit(137)
    wait = os.environ.get("COVERMAP_TEST_WAIT_AT", "")
    if wait.partition(":")[0] == step:
        until = time.monotonic() + 60
        while not os.path.exists(wait.partition(":")[2]) and time.monotonic() < until:
            time.sleep(0.01)


class OutputFolder:
    """OUTDIR, locked for one run: ``check`` the names it will write, ``stage`` a folder to
    write them in, ``switch`` it in. Entering takes the lock and repairs what a stopped run
    left; leaving removes a staging folder not switched in and lets the lock go."""

    def __init__(self, path: str | os.PathLike, *, is_output: Callable[[str], bool], record: str = "run.json"):
        self.path = Path(path)            # as given, for messages
        self.is_output = is_output        # names of outputs, for a folder whose record lists none
        self.record = record              # the output whose "outputs" lists what a run wrote
        self.real = Path(os.path.realpath(self.path))
        self._fd: int | None = None
        self._stopped: tuple[int, int] | None = None   # the staging folder of a run that was stopped
        self._staging: Path | None = None

    # -- the parent's hidden entries -------------------------------------------------------

    def _beside(self, what: str) -> Path:
        return self.real.parent / f".{self.real.name}.covermap{what}"

    @property
    def lock_path(self) -> Path:
        return self._beside(".lock")

    def _leftovers(self) -> list[Path]:
        pattern = re.compile(re.escape(f".{self.real.name}.covermap-") + r"\d+-(new|old)")
        return sorted(entry for entry in self.real.parent.iterdir()
                      if pattern.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink())

    # -- entering and leaving --------------------------------------------------------------

    def __enter__(self) -> OutputFolder:
        if self.path.exists() and not self.path.is_dir():
            raise OutputError(f"{self.path}: exists and is not a folder; choose another output folder")
        if not self.real.name:
            raise OutputError(f"{self.path}: is the root folder; choose a folder inside it")
        try:
            self.real.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.real.parent}: cannot create the folder for {self.path} ({exc.strerror})") from exc
        self._lock()
        try:
            checkpoint("locked")
            self._recover()
            self._writable()
        except BaseException:
            self._unlock()
            raise
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self._staging is not None:
                shutil.rmtree(self._staging, ignore_errors=True)
                self._staging = None
        finally:
            self._unlock()

    def _lock(self) -> None:
        while True:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise OutputError(f"{self.real.parent}: cannot write beside {self.path} ({exc.strerror}); "
                                  "covermap builds the new outputs in the folder holding the output folder: "
                                  "make it writable or choose another output folder") from exc
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _holder(fd) if exc.errno in (errno.EACCES, errno.EAGAIN) else None
                os.close(fd)
                if holder is None:
                    raise OutputError(f"{self.lock_path}: cannot lock {self.path} ({exc.strerror})") from exc
                raise OutputError(f"{self.path}: another covermap run ({holder}) is writing this output folder; "
                                  "wait for it to end or choose another output folder") from None
            try:
                same = os.stat(self.lock_path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)   # the run that held it ended and removed the file meanwhile: take a new one
        self._fd = fd
        self._stopped = _staging_named(os.pread(fd, 256, 0))
        self._note(self._stopped)   # kept until repaired, should this run be stopped too

    def _note(self, staging: tuple[int, int] | None) -> None:
        """The lock file's content: this run's pid, and its staging folder's device and inode."""
        text = f"{os.getpid()}\n" + (f"staging {staging[0]} {staging[1]}\n" if staging else "")
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, text.encode(), 0)

    def _unlock(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.lock_path)
        except OSError:
            pass
        os.close(self._fd)
        self._fd = None

    def _writable(self) -> None:
        try:
            self.real.mkdir(exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot create the output folder ({exc.strerror})") from exc
        if os.path.ismount(self.real):
            raise OutputError(f"{self.path}: is a mount point, and covermap replaces its output folder whole; "
                              f"choose a folder inside it, e.g. {self.path / 'covermap'}")
        if not os.access(self.real, os.W_OK):
            raise OutputError(f"{self.path}: the output folder is read-only; make it writable or choose "
                              "another output folder")

    # -- what a stopped run left -----------------------------------------------------------

    def _recover(self) -> None:
        """Put OUTDIR back to one whole set: the previous one where the new one was not yet
        switched in, else the new one; the user's entries go back into it."""
        leftovers = self._leftovers()
        new = [entry for entry in leftovers if _identity(entry) == self._stopped]
        previous = [entry for entry in leftovers if entry not in new]
        if not self.real.exists() and previous:   # stopped between the two renames of the fallback
            log.info("putting back %s, set aside by a run that was stopped", self.path)
            os.rename(previous.pop(0), self.real)
        for entry in previous:                    # the user's entries go back into OUTDIR
            if self.real.is_dir():
                self._carry_back(entry, keep=self.previous_outputs())
        for entry in leftovers:
            log.info("removing %s, left by a run that was stopped", entry)
            shutil.rmtree(entry, ignore_errors=True)
        self._stopped = None
        self._note(None)

    def _carry_back(self, old: Path, keep: set[str]) -> None:
        """Move into OUTDIR what the user had in ``old`` (a previous set) and OUTDIR lacks or
        holds in an earlier version; ``keep``: the outputs just written, never replaced."""
        outputs = self._outputs_in(old)
        for name in os.listdir(old):
            if name not in outputs and name not in keep:
                _merge(old / name, self.real / name)

    # -- a run's outputs -------------------------------------------------------------------

    def _outputs_in(self, folder: Path) -> set[str]:
        """The outputs a run wrote in ``folder``: those its record lists, else those
        ``is_output`` names; staging folders of older covermap versions too."""
        try:
            present = set(os.listdir(folder))
        except (FileNotFoundError, NotADirectoryError):   # gone, or replaced, while the run went
            return set()
        listed = _listed(folder / self.record)
        outputs = present & listed if listed is not None else {name for name in present if self.is_output(name)}
        return outputs | {name for name in present if _LEGACY.match(name)}

    @property
    def staging(self) -> Path | None:
        """The staging folder, between ``stage`` and ``switch``."""
        return self._staging

    def previous_outputs(self) -> set[str]:
        return self._outputs_in(self.real)

    def check(self, names: Iterable[str], overwrite: bool, reads: Iterable[str | os.PathLike] = ()) -> None:
        """Refuse to replace a file this run reads, or outputs without ``overwrite``."""
        replaced = set(names) | self.previous_outputs()
        for read in reads:
            try:
                inside = Path(os.path.realpath(read)).relative_to(self.real).parts
            except ValueError:
                continue
            if inside and inside[0] in replaced:
                raise OutputError(f"{read}: is an input of this run, and the run replaces {inside[0]} in "
                                  f"{self.path}; move the input out of {self.path} or choose another output folder")
        existing = sorted(name for name in replaced if os.path.lexists(self.real / name))
        if existing and not overwrite:
            raise OutputError(f"{self.path}: already holds {', '.join(existing)}; pass --overwrite to replace them "
                              "or choose another output folder")

    def stage(self) -> Path:
        """A new, empty staging folder for the outputs."""
        staging = self._beside(f"-{os.getpid()}-new")
        try:
            staging.mkdir(mode=0o700)
            self._staging = staging
            self._note(_identity(staging))
        except OSError as exc:
            raise OutputError(f"{self.real.parent}: cannot create the staging folder of {self.path} "
                              f"({exc.strerror}); make the folder holding it writable or choose another "
                              "output folder") from exc
        return staging

    # -- the switch ------------------------------------------------------------------------

    def switch(self, names: Iterable[str]) -> None:
        """Make the staging folder OUTDIR, with the user's entries of OUTDIR in it."""
        staging, names = self._staging, set(names)
        assert staging is not None, "stage() first"
        checkpoint("staged")
        if self.real.is_dir():
            self._link_user_entries(names | self.previous_outputs())
        os.chmod(staging, _mode(self.real))
        checkpoint("linked")
        old = self._swap(staging)
        self._staging = None
        checkpoint("switched")
        try:
            self._carry_back(old, keep=names)
        except OSError as exc:
            raise OutputError(f"{self.path}: the new outputs are in place, but some of your files could not be "
                              f"moved back from {old} ({exc.strerror}: {exc.filename}); move them by hand") from exc
        checkpoint("carried")
        shutil.rmtree(old)
        checkpoint("cleaned")

    def _link_user_entries(self, skip: set[str]) -> None:
        """Hard links in the staging folder to every entry of OUTDIR not in ``skip`` (a
        folder: a copy of its tree of folders, its files linked). What cannot be linked is
        moved after the switch (``_carry_back``)."""
        for entry in os.scandir(self.real):
            if entry.name in skip or _LEGACY.match(entry.name):
                continue
            target = self._staging / entry.name
            try:
                if entry.is_dir(follow_symlinks=False):
                    shutil.copytree(entry.path, target, symlinks=True, copy_function=os.link)
                else:
                    os.link(entry.path, target, follow_symlinks=False)
            except (OSError, shutil.Error) as exc:
                log.debug("%s: cannot be linked (%s); it is moved after the switch", entry.path, exc)
                if os.path.isdir(target) and not os.path.islink(target):
                    shutil.rmtree(target, ignore_errors=True)

    def _swap(self, staging: Path) -> Path:
        """Staging becomes OUTDIR; returns where the previous OUTDIR now is."""
        if os.path.lexists(self.real) and not (self.real.is_dir() and not self.real.is_symlink()):
            raise OutputError(f"{self.path}: cannot switch to the new outputs: {_what_is_at(self.real)}, put "
                              "there while the run went; move it away and run again")
        try:
            if not self.real.exists():   # removed meanwhile: nothing to exchange with
                os.rename(staging, self.real)
                os.mkdir(staging)
                return staging
            if _exchange(staging, self.real):
                return staging
            aside = self._beside(f"-{os.getpid()}-old")
            os.rename(self.real, aside)
            checkpoint("set-aside")
            try:
                os.rename(staging, self.real)
            except OSError:
                os.rename(aside, self.real)
                raise
            return aside
        except OSError as exc:
            raise OutputError(f"{self.path}: cannot switch to the new outputs ({exc.strerror}: "
                              f"{_what_is_at(self.real)}); the previous outputs are unchanged") from exc


def _mode(folder: Path) -> int:
    """The permissions of ``folder``, or those a new folder gets where it is gone."""
    try:
        return stat.S_IMODE(os.stat(folder).st_mode)
    except FileNotFoundError:
        umask = os.umask(0o22)
        os.umask(umask)
        return 0o777 & ~umask


def _holder(fd: int) -> str:
    """Who holds the lock, from the pid it wrote (it writes it just after taking the lock)."""
    for _ in range(25):
        text = os.pread(fd, 32, 0).decode("ascii", "replace").partition("\n")[0].strip()
        if text.isdigit():
            return f"pid {text}"
        time.sleep(0.02)
    return "pid unknown"


def _identity(folder: Path) -> tuple[int, int] | None:
    try:
        found = os.lstat(folder)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def _staging_named(lock: bytes) -> tuple[int, int] | None:
    """The staging folder a lock file names (device, inode), if it names one."""
    match = re.search(rb"^staging (\d+) (\d+)$", lock, re.MULTILINE)
    return (int(match[1]), int(match[2])) if match else None


def _listed(record: Path) -> set[str] | None:
    """The names a run's record lists under "outputs"; None where it lists none."""
    try:
        listed = json.loads(record.read_text(encoding="utf-8")).get("outputs")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(listed, list) and all(isinstance(name, str) for name in listed):
        return set(listed)
    return None


def _merge(src: Path, dst: Path) -> None:
    """``src`` (the user's, in a previous set) into ``dst`` where ``dst`` lacks it or holds
    an earlier version (a file saved in OUTDIR after it was linked into the staging folder:
    its content is newer); a folder entry by entry."""
    try:
        there = os.lstat(dst)
    except FileNotFoundError:
        os.rename(src, dst)
        return
    here = os.lstat(src)
    if stat.S_ISDIR(here.st_mode) and stat.S_ISDIR(there.st_mode):
        for name in os.listdir(src):
            _merge(src / name, dst / name)
    elif (not stat.S_ISDIR(here.st_mode) and not stat.S_ISDIR(there.st_mode)
          and here.st_ino != there.st_ino and here.st_mtime_ns > there.st_mtime_ns):
        os.replace(src, dst)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system
    or the file system cannot (``COVERMAP_TEST_NO_EXCHANGE=1`` too, for the tests)."""
    if os.environ.get("COVERMAP_TEST_NO_EXCHANGE"):
        return False
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint)
    renameat2.restype = ctypes.c_int
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in _UNSUPPORTED:
        return False
    raise OSError(code, os.strerror(code), str(b))


def _what_is_at(path: Path) -> str:
    """What is at ``path``, in words, for a switch that failed."""
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return f"{path} no longer exists"
    except OSError as exc:
        return f"{path} cannot be read ({exc.strerror})"
    if stat.S_ISLNK(found.st_mode):
        return f"{path} is a link to {os.readlink(path)}"
    if not stat.S_ISDIR(found.st_mode):
        return f"{path} is a file of {found.st_size} bytes"
    if os.path.ismount(path):
        return f"{path} is a mount point"
    return f"{path} is a folder owned by uid {found.st_uid}, mode {stat.filemode(found.st_mode)}"
