"""The validation report: counts, invalid share, header errors and first examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ValidationReport:
    """What one validation run found; `to_metadata()` feeds Dagster's materialization."""

    rows_read: int
    rows_valid: int
    rows_quarantined: int
    header_errors: list[dict[str, Any]] = field(default_factory=list)
    errors_by_type: dict[str, int] = field(default_factory=dict)
    errors_by_field: dict[str, int] = field(default_factory=dict)
    examples: list[dict[str, Any]] = field(default_factory=list)
    skipped_checks: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def invalid_share(self) -> float:
        return self.rows_quarantined / self.rows_read if self.rows_read else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors_by_type.values())

    @property
    def valid(self) -> bool:
        return not self.error_count

    def to_metadata(self) -> dict[str, Any]:
        """A JSON-serialisable summary (plain ints, floats, strings, lists, dicts)."""
        return {
            "rows_read": self.rows_read,
            "rows_valid": self.rows_valid,
            "rows_quarantined": self.rows_quarantined,
            "invalid_share": round(self.invalid_share, 6),
            "error_count": self.error_count,
            "errors_by_type": dict(self.errors_by_type),
            "errors_by_field": dict(self.errors_by_field),
            "header_errors": [dict(e) for e in self.header_errors],
            "examples": [dict(e) for e in self.examples],
            "skipped_checks": list(self.skipped_checks),
            "validation_seconds": round(self.seconds, 3),
        }
