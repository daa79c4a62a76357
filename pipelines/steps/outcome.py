"""What a step did, as one value: published, unchanged, blocked or failed, and why.

Steps decide (keep the previous table, retry a transient failure, block a publication);
Dagster, the CLI and the status table only show the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class State(StrEnum):
    PUBLISHED = "published"  # the table was replaced by a new version
    UNCHANGED = "unchanged"  # the table was replaced by the same content (source unchanged)
    BLOCKED = "blocked"  # the policy refused the new version: the previous table stays
    FAILED = "failed"  # the step could not run to its end: the previous table stays


@dataclass(frozen=True)
class Outcome:
    """One step's outcome on one table; `reason` is French, for the data officer.

    `result` is the step's own result (RawResult, CoreResult) when it ran to its end;
    `error` the exception when it failed; `retry` says the failure is worth trying again
    (a transient network error with attempts left); `kept_previous` that an earlier
    version of the table is still there."""

    table: str
    state: State
    reason: str
    result: Any = None
    error: Exception | None = None
    retry: bool = False
    kept_previous: bool = False

    @property
    def replaced(self) -> bool:
        """The table was written: Dagster records a materialization."""
        return self.state in (State.PUBLISHED, State.UNCHANGED)

    def to_metadata(self) -> dict[str, Any]:
        metadata = self.result.to_metadata() if self.result is not None else {}
        return {"outcome": str(self.state), "reason": self.reason, **metadata}
