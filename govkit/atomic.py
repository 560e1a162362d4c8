"""Writing outputs so that nothing is ever half-written: files, folders and a folder lock.

Every file govkit writes goes through :func:`write_atomic`: the bytes go to a
temporary file in the same folder, are fsynced, and the temporary file is
renamed over the target. A reader (or a crash) sees the old file or the new
one, never a truncated one. A packet folder goes through
:func:`replace_folder`: it is built in a temporary sibling folder and swapped
in with one rename, so the old packet stays intact until the new one is
complete. :class:`FolderLock` keeps two govkit processes from writing the same
output folder at once.

Temporary names start with ``.<target name>.govkit-tmp-``. A process killed
outright (SIGKILL, power loss) cannot remove its temporary file or folder;
the next run that takes the folder's lock removes it (:func:`clean_leftovers`).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import fcntl
import os
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from govkit.errors import InputError

__all__ = [
    "LOCK_TIMEOUT_ENV",
    "FolderLock",
    "clean_leftovers",
    "create_atomic",
    "replace_folder",
    "temp_prefix",
    "write_all_atomic",
    "write_atomic",
]

#: Seconds a second writer waits for the lock before giving up (tests shorten it).
LOCK_TIMEOUT_ENV = "GOVKIT_LOCK_TIMEOUT"
_DEFAULT_LOCK_TIMEOUT = 5.0
_TMP_MARK = ".govkit-tmp-"
_OLD_MARK = ".govkit-old-"


def temp_prefix(target: Path) -> str:
    """The name every temporary sibling of ``target`` starts with."""
    return f".{target.name}{_TMP_MARK}"


def _fresh_name(target: Path, mark: str = _TMP_MARK) -> Path:
    return target.with_name(f".{target.name}{mark}{secrets.token_hex(6)}")


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte of ``data`` to ``fd`` (the one place bytes reach the disk)."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _fsync_dir(folder: Path) -> None:
    # A rename is durable only once the folder holding it is synced.
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the rename itself is still atomic
    finally:
        os.close(fd)


def _write_temp(target: Path, data: bytes | str, mode: int = 0o644) -> Path:
    """Write ``data`` to a fresh temporary sibling of ``target``, fsynced; return its path."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = _fresh_name(target)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        try:
            _write_all(fd, raw)
            os.fsync(fd)
        finally:
            os.close(fd)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Replace the file at ``path`` with ``data`` (text is UTF-8), all at once.

    Parameters
    ----------
    path
        The file to write; its folder must exist.
    data
        The whole content.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OSError
        When the folder is not writable or the disk is full; the old file, if
        any, is then unchanged and no temporary file is left.
    """
    target = Path(path)
    tmp = _write_temp(target, data)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)
    return target


def write_all_atomic(files: dict[Path, bytes | str]) -> list[Path]:
    """Replace several files together: every temporary file is complete before any rename.

    A full disk or an unwritable folder therefore changes none of them; only a
    crash between the renames (microseconds) can leave some old and some new.
    """
    written: dict[Path, Path] = {}
    try:
        for target, data in files.items():
            written[target] = _write_temp(Path(target), data)
        for target, tmp in list(written.items()):
            os.replace(tmp, target)
            del written[target]
    finally:
        for tmp in written.values():
            tmp.unlink(missing_ok=True)
    for folder in {Path(t).parent for t in files}:
        _fsync_dir(folder)
    return [Path(t) for t in files]


def create_atomic(path: str | Path, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write a new file at ``path`` all at once; FileExistsError when it exists.

    The complete temporary file is hard-linked to its name, which fails rather
    than overwrite, so even a file that appears meanwhile is never replaced,
    and a reader never sees it half written. ``mode`` is the new file's
    permissions (before the umask): 0o600 for a secret.
    """
    target = Path(path)
    tmp = _write_temp(target, data, mode)
    try:
        os.link(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(target.parent)
    return target


# --- folders ----------------------------------------------------------------------------

_RENAME_EXCHANGE = 2  # from linux/fs.h


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    result = renameat2(
        at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), ctypes.c_uint(_RENAME_EXCHANGE)
    )
    if result == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False  # the file system cannot exchange: fall back to two renames
    raise OSError(err, os.strerror(err), str(b))


def _fsync_tree(folder: Path) -> None:
    for here, dirs, files in os.walk(folder):
        for name in files:
            fd = os.open(os.path.join(here, name), os.O_RDONLY | os.O_NOFOLLOW)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(here))
        dirs.sort()


def _remove_tree(path: Path) -> None:
    # rmtree never follows a symbolic link: a link inside is removed, never its target.
    if path.is_symlink() or not path.is_dir():
        path.unlink(missing_ok=True)
    else:
        shutil.rmtree(path)


def replace_folder(
    target: str | Path,
    build: Callable[[Path], None],
    *,
    discard: Callable[[Path], None] = _remove_tree,
) -> Path:
    """Build a folder beside ``target`` with ``build(folder)``, then swap it in.

    The old ``target`` (if any) stays as it was until the new folder is
    complete; then one rename exchanges them and the old folder is removed.
    When ``build`` raises (or the process is interrupted) the temporary
    folder is removed and ``target`` is untouched.

    Parameters
    ----------
    target
        The folder to create or replace. Its parent must exist.
    build
        Writes the new content into the folder it is given (an empty folder).
    discard
        Removes the old folder once it has been swapped out (by default the
        whole tree, never following a link).

    Returns
    -------
    Path
        ``target``.
    """
    final = Path(target)
    staging = _fresh_name(final)
    staging.mkdir()
    try:
        build(staging)
        _fsync_tree(staging)
        if not final.exists():
            os.rename(staging, final)
        elif _exchange(staging, final):
            discard(staging)  # it now holds the old folder
        else:
            old = _fresh_name(final, _OLD_MARK)
            os.rename(final, old)
            os.rename(staging, final)
            discard(old)
    except BaseException:
        if staging.exists() or staging.is_symlink():
            _remove_tree(staging)
        raise
    _fsync_dir(final.parent)
    return final


def clean_leftovers(target: str | Path) -> list[Path]:
    """Remove what a killed govkit left beside ``target``; returns what it removed.

    Temporary siblings (``.<name>.govkit-tmp-*``) are removed. An old folder
    set aside by the two-rename fallback (``.<name>.govkit-old-*``) is put
    back when ``target`` is missing, and removed otherwise. Call it only
    while holding the folder's :class:`FolderLock`.
    """
    final = Path(target)
    parent = final.parent
    if not parent.is_dir():
        return []
    removed = []
    for entry in sorted(parent.iterdir()):
        name = entry.name
        if name.startswith(f".{final.name}{_OLD_MARK}"):
            if not final.exists() and entry.is_dir() and not entry.is_symlink():
                os.rename(entry, final)
                continue
        elif not name.startswith(temp_prefix(final)):
            continue
        _remove_tree(entry)
        removed.append(entry)
    return removed


# --- lock ---------------------------------------------------------------------------------


def _lock_timeout() -> float:
    text = os.environ.get(LOCK_TIMEOUT_ENV)
    if text is None:
        return _DEFAULT_LOCK_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value >= 0:
        raise InputError(f"{LOCK_TIMEOUT_ENV}={text!r}: expected a number of seconds, 0 or more")
    return value


class FolderLock:
    """An exclusive lock on an output folder, held by one govkit process at a time.

    The lock is ``flock`` on ``.<name>.govkit-lock`` beside the folder (not
    inside it, so swapping the folder does not swap the lock). The file holds
    the holder's process id, so a waiting process can name it. The kernel
    releases the lock when its holder exits, even on SIGKILL.

    Parameters
    ----------
    folder
        The output folder (it need not exist yet; its parent is created).
    timeout
        Seconds to wait for another holder; default ``$GOVKIT_LOCK_TIMEOUT`` or 5.
    """

    def __init__(self, folder: str | Path, *, timeout: float | None = None) -> None:
        self.folder = Path(folder)
        self.path = self.folder.with_name(f".{self.folder.name}.govkit-lock")
        self.timeout = _lock_timeout() if timeout is None else timeout
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``timeout``; InputError (exit 2) when it stays taken."""
        try:
            self.folder.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as err:
            raise InputError(
                f"{self.folder}: cannot create its lock file {self.path} "
                f"({err.strerror}); choose a folder you can write to"
            ) from err
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd)
                    os.close(fd)
                    who = f"another govkit process (pid {holder})" if holder else "another process"
                    raise InputError(
                        f"{self.folder}: {who} is writing this folder; waited "
                        f"{self.timeout:g} s for it. Let it finish, or choose another --out"
                    ) from None
                time.sleep(0.05)
        with contextlib.suppress(
            OSError
        ):  # naming the holder is a courtesy: a full disk may refuse
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd

    def release(self) -> None:
        """Let the next writer in (the lock file itself stays: removing it would race)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _read_holder(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).decode("ascii").strip())
    return None
