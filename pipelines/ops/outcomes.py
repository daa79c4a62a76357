"""What happened to each resource since the last publication: published, unchanged, blocked
or failed, with the reason in French for the data officer.

Derived from the run journal only (plain Python, no Dagster): the publication asset turns the
blocked and failed outcomes into a failed blocking check, so a refresh that published nothing
new for a dataset is never shown as a plain success; `camp materialize` and the alerts say
the same sentences.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .journal import FETCH, VALIDATE, parse_iso

PUBLISHED, UNCHANGED, BLOCKED, FAILED = "published", "unchanged", "blocked", "failed"
NOT_PUBLISHED = (BLOCKED, FAILED)
STATE_FR = {PUBLISHED: "publié", UNCHANGED: "inchangé", BLOCKED: "bloqué", FAILED: "en échec"}


@dataclass(frozen=True)
class Outcome:
    dataset: str
    resource: str
    state: str  # one of PUBLISHED, UNCHANGED, BLOCKED, FAILED
    reason: str  # French, for the officer
    run_id: str | None = None
    at: str | None = None

    @property
    def label(self) -> str:
        return f"{self.dataset} ({self.resource})"

    @property
    def sentence(self) -> str:
        """`decp (marches) — bloqué : 74,0 % de lignes invalides, …`"""
        return f"{self.label} — {STATE_FR[self.state]} : {self.reason}"

    def to_json(self) -> dict:
        return {**asdict(self), "etat": STATE_FR[self.state]}


def _fetch_reason(event: dict) -> str:
    status = event.get("http_status")
    error = str(event.get("error") or "erreur inconnue")
    if status:
        return f"la source répond {status} ({error}) ; la version précédente est conservée"
    if event.get("kind") == "read":
        return f"le fichier ne peut pas être lu ({error}) ; la version précédente est conservée"
    return f"la source est injoignable ({error}) ; la version précédente est conservée"


def resource_outcome(events: list[dict]) -> Outcome | None:
    """The outcome of one resource's latest fetch and validation (events oldest first)."""
    if not events:
        return None
    last = events[-1]
    fetches = [e for e in events if e.get("step") == FETCH]
    validations = [e for e in events if e.get("step") == VALIDATE]
    base = {"dataset": last["dataset"], "resource": last["resource"]}
    fetch = fetches[-1] if fetches else None
    validation = validations[-1] if validations else None
    if fetch and fetch.get("outcome") != "ok":  # a later validation re-read the kept table
        return Outcome(
            **base,
            state=FAILED,
            reason=_fetch_reason(fetch),
            run_id=fetch.get("run_id"),
            at=fetch["at"],
        )
    if validation is None:
        return None
    meta = {"run_id": validation.get("run_id"), "at": validation["at"]}
    if validation.get("outcome") == "failed":
        reason = (
            f"la validation a échoué ({validation.get('error')}) ; la version précédente "
            "est conservée"
        )
        return Outcome(**base, state=FAILED, reason=reason, **meta)
    if not validation.get("published"):
        return Outcome(**base, state=BLOCKED, reason=str(validation.get("reason")), **meta)
    state = UNCHANGED if fetch and fetch.get("changed") is False else PUBLISHED
    return Outcome(**base, state=state, reason=str(validation.get("reason") or ""), **meta)


def outcomes_since(events: list[dict], since: str | None, run_id: str | None) -> list[Outcome]:
    """One outcome per resource touched by run `run_id` or after `since` (an ISO time, the
    previous publication's), in journal order of first appearance."""
    moment = parse_iso(since)
    grouped: dict[tuple[str, str], list[dict]] = {}
    for event in events:
        at = parse_iso(event.get("at"))
        recent = moment is None or (at is not None and at > moment)
        if event.get("run_id") == run_id or recent:
            grouped.setdefault((event["dataset"], event["resource"]), []).append(event)
    found = (resource_outcome(group) for group in grouped.values())
    return [o for o in found if o is not None]


def not_published(outcomes: list[Outcome]) -> list[Outcome]:
    return [o for o in outcomes if o.state in NOT_PUBLISHED]


def summary(outcomes: list[Outcome]) -> str:
    """The French sentence of a publication check: what was left out, or that nothing was."""
    missed = not_published(outcomes)
    if not missed:
        return f"Tous les jeux de données actualisés sont publiés ({len(outcomes)} tables)."
    head = (
        f"{len(missed)} table(s) non publiée(s) ; la publication précédente reste en ligne "
        "pour elles, les autres jeux de données sont publiés : "
    )
    return head + " ; ".join(o.sentence for o in missed) + "."
