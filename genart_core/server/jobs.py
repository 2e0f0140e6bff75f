"""The server's table of jobs: each job's events (progress lines, then one end event) and result.

Lives in the ingress replica and is used only from its asyncio event loop, so it needs no locks.
Events are kept as ready-made JSON lines with sequence numbers: a client that reconnects asks for
the events after the last one it saw.
"""

from __future__ import annotations

import asyncio
import collections
import json
import secrets
from dataclasses import dataclass, field
from typing import Any

# A long training run reports thousands of times; older progress lines are dropped past this.
MAX_EVENTS_KEPT = 500
# Finished jobs are kept for their results until this many newer jobs finished.
MAX_FINISHED_KEPT = 32
END_EVENTS = {"finished", "failed", "cancelled"}


@dataclass
class Job:
    id: str
    kind: str
    events: collections.deque = field(default_factory=lambda: collections.deque(maxlen=MAX_EVENTS_KEPT))
    next_seq: int = 0
    end: str = ""  # "" while running, else one of END_EVENTS
    result: dict[str, Any] | None = None
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def add(self, event: dict[str, Any]) -> None:
        event = {**event, "seq": self.next_seq}
        self.events.append((self.next_seq, json.dumps(event) + "\n"))
        self.next_seq += 1
        if event["event"] in END_EVENTS:
            self.end = event["event"]
        # Wake every waiting stream, then arm the event again for the next change.
        self.changed.set()
        self.changed = asyncio.Event()

    def lines_after(self, seq: int) -> list[str]:
        return [line for number, line in self.events if number > seq]


class JobTable:
    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._finished: collections.deque[str] = collections.deque()

    def new(self, kind: str) -> Job:
        job = Job(secrets.token_hex(8), kind)
        self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def retire(self, job: Job) -> None:
        """Called when a job ended: forget the oldest finished jobs past the limit."""
        self._finished.append(job.id)
        while len(self._finished) > MAX_FINISHED_KEPT:
            self._jobs.pop(self._finished.popleft(), None)

    def running(self) -> list[Job]:
        return [job for job in self._jobs.values() if not job.end]
