"""Which two-phase hand-overs (SMTP's final ".") may have been written, kept on the
worker's disk.

The outbox row turns `sending` before the hand-over, so a worker killed in between leaves a
row that looks like one the server may have, though nothing was written. Right before the
write, synchronously (no await in between, so a kill lands between the two only within
microseconds), a marker file named after the key is created; it is removed once the row
records what became of the mail. An attempt that finds a row `sending` through this journal
(the row names it) reads the marker: none means the hand-over was never written, so the row
is reopened and sent again (once the attempt that turned it `sending` can no longer write:
`sending.delivery.NO_MARK_TRUSTED_AFTER`); a marker means the server may have it
(`uncertain`, or waiting for events; never resent blindly).

Only a worker that sees the same directory may judge by it: each journal has an id (its
`journal-id` file), recorded on the row at `sending`; a row from another journal (another
host, another volume) stays judged as before. Put it on a volume the worker keeps across
restarts (CARTNUDGE_SEND_JOURNAL_DIR). A SIGKILL does not lose what was written to a file;
a power loss may lose a marker, which then errs on a resend: put it on a volume that syncs.
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
        """The hand-over of `key` may be written from now on (called right before it)."""
        os.close(os.open(self._marker(key), os.O_CREAT | os.O_WRONLY, 0o600))

    def was_handed(self, key: str) -> bool:
        return self._marker(key).exists()

    def forget(self, key: str) -> None:
        """The row records what became of it: the marker is not needed any more."""
        self._marker(key).unlink(missing_ok=True)

    def _marker(self, key: str) -> Path:
        return self._dir / f"{hashlib.sha256(key.encode()).hexdigest()}.handed"


def _journal_id(path: Path) -> str:
    """This directory's id: read, or made once. Written whole (a temporary file renamed),
    so a crash never leaves an empty id two hosts could share."""
    try:
        journal_id = path.read_text().strip()
    except FileNotFoundError:
        journal_id = ""
    if journal_id:
        return journal_id
    made = path.with_name(f"{path.name}.{uuid.uuid4().hex}.tmp")
    made.write_text(uuid.uuid4().hex)
    try:
        if path.exists():
            os.replace(made, path)  # an empty id, left by a crash: never trusted
        else:
            os.link(made, path)  # only the first of two starting workers wins
    except FileExistsError:
        pass
    finally:
        made.unlink(missing_ok=True)
    return path.read_text().strip()
