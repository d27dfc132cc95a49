"""Which two-phase hand-overs (SMTP's final ".") were written, kept on the worker's disk.

The outbox row turns `sending` before the hand-over, so a worker killed in between leaves a
row that looks like one the server may have, though nothing was written. Right after the
write, synchronously (no await in between, so a kill lands between the two only within
microseconds), a marker file named after the key is created; it is removed once `sent` is
recorded. An attempt that finds a row `sending` through this journal (the row names it)
reads the marker: none means the hand-over never started, so the row is reopened and
sent again; a marker means the server may have it (`uncertain`, never resent).

Only a worker that sees the same directory may judge by it: each journal has an id (its
`journal-id` file), recorded on the row at `sending`; a row from another journal (another
host, another volume) stays judged as before. Put it on a volume the worker keeps across
restarts (CARTNUDGE_SEND_JOURNAL_DIR). A SIGKILL does not lose what was written to a file;
a power loss may, which is why the marker is only ever trusted to say "written".
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

ID_FILE = "journal-id"


class HandOverJournal:
    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self._dir = directory
        self.id = _journal_id(directory / ID_FILE)

    def handed(self, key: str) -> None:
        """The hand-over of `key` was written (called right after the write)."""
        os.close(os.open(self._marker(key), os.O_CREAT | os.O_WRONLY, 0o600))

    def was_handed(self, key: str) -> bool:
        return self._marker(key).exists()

    def forget(self, key: str) -> None:
        """The row records what became of it: the marker is not needed any more."""
        self._marker(key).unlink(missing_ok=True)

    def _marker(self, key: str) -> Path:
        return self._dir / f"{hashlib.sha256(key.encode()).hexdigest()}.handed"


def _journal_id(path: Path) -> str:
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    journal_id = uuid.uuid4().hex
    with os.fdopen(fd, "w") as file:
        file.write(journal_id)
    return journal_id
