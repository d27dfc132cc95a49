"""What a fault drill counted, and its one line."""

from __future__ import annotations

from dataclasses import dataclass, field

from storage.outbox import OutboxState


@dataclass(frozen=True)
class DrillReport:
    drill: str
    carts: int
    finished: int  # journeys that recorded an outcome
    duplicates: int  # arrivals beyond the first of one message
    lost: int  # messages of finished journeys that never arrived
    outstanding: int  # messages of unfinished journeys not arrived: the deadline hit
    unexpected: int  # arrivals that are none of the due messages
    refused: int  # the API's 503 answers to the shop
    no_retry_after: int  # of them without Retry-After
    slowest_503_ms: float
    slow_503s: int  # of them slower than a second
    other_errors: int  # answers that are neither 2xx nor 503 (nor a 503 under another name)
    unstored_2xx: int  # carts acknowledged with a 2xx that the database does not hold
    unacknowledged: int  # carts the shop gave up on (never a 2xx)
    outage_seconds: float
    wall_seconds: float
    outbox: dict[OutboxState, int]
    healthz: str = ""  # what /healthz said during the outage, e.g. "temporal" (down)
    notes: tuple[str, ...] = field(default=())
    refusals: int = 0  # provider-down: the sends the providers refused while down

    @property
    def clean(self) -> bool:
        return (
            self.finished == self.carts
            and self.duplicates == 0
            and self.lost == 0
            and self.unexpected == 0
            and self.no_retry_after == 0
            and self.other_errors == 0
            and self.unstored_2xx == 0
            and self.unacknowledged == 0
        )

    @property
    def summary(self) -> str:
        health = f" healthz_down={self.healthz}" if self.healthz else ""
        health += f" refused_sends={self.refusals}" if self.refusals else ""
        return (
            f"fault {self.drill}: carts={self.carts} finished={self.finished}"
            f" duplicates={self.duplicates} lost={self.lost} 503s={self.refused}"
            f" slowest_503_ms={self.slowest_503_ms:.0f} no_retry_after={self.no_retry_after}"
            f" unstored_2xx={self.unstored_2xx}{health} outage_s={self.outage_seconds:.0f}"
        )

    def table(self) -> str:
        rows = [
            ("carts", f"{self.carts} ({self.finished} journeys finished)"),
            ("duplicates", str(self.duplicates)),
            ("lost", str(self.lost)),
            ("unexpected", str(self.unexpected)),
            ("outstanding", str(self.outstanding)),
            (
                "503 answers",
                f"{self.refused}, slowest {self.slowest_503_ms:.0f} ms ({self.slow_503s} over"
                f" 1 s), {self.no_retry_after} without Retry-After",
            ),  # fmt: skip
            ("other errors", str(self.other_errors)),
            ("2xx unstored", str(self.unstored_2xx)),
            ("never taken", str(self.unacknowledged)),
            ("stack outbox", ", ".join(f"{s} {n}" for s, n in sorted(self.outbox.items())) or "-"),
            ("outage", f"{self.outage_seconds:.1f}s"),
            ("wall time", f"{self.wall_seconds:.1f}s"),
        ]
        if self.healthz:
            rows.append(("/healthz", f"named down during the outage: {self.healthz}"))
        lines = [f"  {name:<14}{value}" for name, value in rows]
        lines.extend(f"  {'':<14}{note}" for note in self.notes)
        return "\n".join(lines)
