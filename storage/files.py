"""Private files and directories: owner-only (0700, 0600) whatever the process umask."""

from __future__ import annotations

import logging
import os
from pathlib import Path

logger = logging.getLogger(__name__)

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def private_dir(path: Path) -> Path:
    """Create ``path`` and its missing parents as 0700 directories; returns ``path``.

    Directories that already exist keep their mode (the operator's choice).

    Raises:
        OSError: a directory cannot be created (a file is in the way, no permission).
    """
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=PRIVATE_DIR)
        except FileExistsError:
            continue  # made meanwhile by another process starting
        os.chmod(directory, PRIVATE_DIR)  # mkdir's mode went through the umask
    return path


def private_file(path: Path) -> None:
    """Make ``path`` an owner-only file: created empty and 0600 if missing, else set to 0600.

    Created with the mode already set, so no other user can open it in between.

    Raises:
        OSError: the file cannot be created or its mode changed.
    """
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (a key file), 0600 before the first byte; 0700 parents."""
    private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(fd, "w") as file:
        os.fchmod(fd, PRIVATE_FILE)
        file.write(text)


def private_sqlite_file(database: Path) -> None:
    """The SQLite file 0600 before SQLite opens it: SQLite then gives its -wal, -shm and
    -journal files the database file's mode. Companions an older version left are fixed too.

    A file this process cannot change (not its owner) is logged and left as it is.
    """
    for path in (database, *(database.with_name(database.name + s) for s in SQLITE_COMPANIONS)):
        if path != database and not path.exists():
            continue
        try:
            private_file(path)
        except OSError as exc:
            logger.warning("cannot make %s private (0600): %s", path, exc.strerror)
