"""Writing a file the operator named (an export, the settings file) without harming what is there.

A regular file is replaced atomically (a crash or a full disk never leaves half a file) and keeps
its mode, and its owner and group where the process may set them. A symlink is written through: its
target is the file replaced, the link stays a link. Anything else that exists at the path (a FIFO,
a device such as /dev/stdout or /dev/null, a terminal) is written to directly, as a shell's `>`
would: it is never replaced by a regular file (as root, renaming over /dev/null would break the
whole machine), and writing into it is what the operator asked for (`-o /dev/stdout`, a FIFO that
another process reads).
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

__all__ = ["is_special", "write_text"]


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()  # follows symlinks: what a write would reach
    except FileNotFoundError:
        return None


def is_special(path: Path) -> bool:
    """Whether `path` (through any symlink) exists and is neither a regular file nor a
    directory: a FIFO, a device, a socket."""
    st = _stat(path)
    return st is not None and not stat.S_ISREG(st.st_mode) and not stat.S_ISDIR(st.st_mode)


@contextmanager
def write_text(path: Path, *, newline: str | None = None) -> Iterator[TextIO]:
    """A text stream (UTF-8) that ends up at `path` once the block ends without an exception.

    Raises OSError (with its `strerror`) when the file cannot be written; then a regular file at
    `path` is left as it was."""
    st = _stat(path)  # the kernel's view, through any link (/dev/stdout's /proc/self/fd/1 too)
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        with open(path, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
        return
    target = Path(os.path.realpath(path))  # the file a symlink names (a dangling one's too)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
    # O_EXCL: never through someone's link planted at the temporary name; 0o666 less the umask,
    # as a new file gets.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with open(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        if st is not None:
            _keep_owner_and_mode(tmp, st)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _keep_owner_and_mode(tmp: Path, st: os.stat_result) -> None:
    """Give the new file the replaced file's owner and group where permitted (root: both; the
    owner: a group they belong to), then its mode (after: chown may clear set-id bits)."""
    for uid, gid in ((st.st_uid, st.st_gid), (-1, st.st_gid)):
        try:
            os.chown(tmp, uid, gid)
            break
        except OSError:
            continue
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
