"""Alerts to a person: a failed or blocked refresh, or a quality regression, sent to an
optional webhook (JSON POST) and an optional e-mail address, in French.

Plain Python, no Dagster: the alert sensors (`alert_sensors.py`) turn a run's failed checks
and steps into `Alert`s and call `send`. Settings come from the environment, read when
asked:

- `CAMP_ALERT_WEBHOOK`: URL that receives one JSON POST per alert (Slack, Mattermost,
  Teams-compatible `text` field included);
- `CAMP_ALERT_EMAIL`: comma-separated recipients, with `CAMP_SMTP_HOST`, `CAMP_SMTP_PORT`
  (default 25), `CAMP_SMTP_USER` / `CAMP_SMTP_PASSWORD` (optional), `CAMP_SMTP_STARTTLS`
  (`1` to upgrade the connection), `CAMP_SMTP_FROM` (default `territoire-camp@localhost`);
- `CAMP_DAGSTER_URL`: the Dagster UI the run links point to (default http://127.0.0.1:3000).

Nothing configured, nothing sent. A secret in the webhook URL or the SMTP password is never
logged.
"""

from __future__ import annotations

import logging
import os
import smtplib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)
DEFAULT_UI = "http://127.0.0.1:3000"


@dataclass(frozen=True)
class Alert:
    dataset: str
    resource: str | None
    state: str  # French: bloqué, en échec, régression de qualité
    reason: str  # French, for the data officer
    run_id: str
    job: str
    run_url: str

    @property
    def text(self) -> str:
        what = f"{self.dataset} ({self.resource})" if self.resource else self.dataset
        return f"[territoire-camp] {what} — {self.state} : {self.reason} — {self.run_url}"

    def to_json(self) -> dict:
        return {**asdict(self), "text": self.text}


@dataclass(frozen=True)
class AlertSettings:
    webhook: str | None = None
    recipients: tuple[str, ...] = ()
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = False
    sender: str = "territoire-camp@localhost"
    ui_url: str = DEFAULT_UI

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> AlertSettings:
        env = os.environ if environ is None else environ
        recipients = tuple(
            r.strip() for r in env.get("CAMP_ALERT_EMAIL", "").split(",") if r.strip()
        )
        return cls(
            webhook=env.get("CAMP_ALERT_WEBHOOK") or None,
            recipients=recipients,
            smtp_host=env.get("CAMP_SMTP_HOST") or None,
            smtp_port=int(env.get("CAMP_SMTP_PORT") or 25),
            smtp_user=env.get("CAMP_SMTP_USER") or None,
            smtp_password=env.get("CAMP_SMTP_PASSWORD") or None,
            smtp_starttls=env.get("CAMP_SMTP_STARTTLS", "") in ("1", "true", "yes", "oui"),
            sender=env.get("CAMP_SMTP_FROM") or "territoire-camp@localhost",
            ui_url=(env.get("CAMP_DAGSTER_URL") or DEFAULT_UI).rstrip("/"),
        )

    @property
    def email(self) -> bool:
        return bool(self.smtp_host and self.recipients)

    @property
    def channels(self) -> list[str]:
        return (["webhook"] if self.webhook else []) + (["email"] if self.email else [])

    def run_url(self, run_id: str) -> str:
        return f"{self.ui_url}/runs/{run_id}"


def _where(url: str) -> str:
    """The webhook's host only: its path often holds a token."""
    return urlsplit(url).netloc or "(webhook)"


def post_webhook(url: str, alerts: list[Alert], timeout: float = 10.0) -> None:
    """One JSON POST per alert; raises on a network error or an answer other than 2xx."""
    for alert in alerts:
        response = requests.post(url, json=alert.to_json(), timeout=timeout)
        if not response.ok:
            raise RuntimeError(f"webhook {_where(url)} answered HTTP {response.status_code}")


def email_message(alerts: list[Alert], settings: AlertSettings) -> EmailMessage:
    names = sorted({a.dataset for a in alerts})
    message = EmailMessage()
    message["Subject"] = f"[territoire-camp] Alerte : {', '.join(names)}"
    message["From"] = settings.sender
    message["To"] = ", ".join(settings.recipients)
    lines = ["Bonjour,", "", "Le dernier run de territoire-camp signale :", ""]
    for alert in alerts:
        what = f"{alert.dataset} ({alert.resource})" if alert.resource else alert.dataset
        lines += [f"- {what} — {alert.state} : {alert.reason}", f"  Run : {alert.run_url}"]
    lines += ["", "La dernière publication valide reste en ligne pour ces jeux de données."]
    message.set_content("\n".join(lines))
    return message


def send_email(alerts: list[Alert], settings: AlertSettings, timeout: float = 10.0) -> None:
    with smtplib.SMTP(settings.smtp_host or "", settings.smtp_port, timeout=timeout) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(email_message(alerts, settings))


def send(alerts: list[Alert], settings: AlertSettings) -> dict[str, str]:
    """Send `alerts` on every configured channel; returns {channel: "ok" or the error}.

    One channel failing does not stop the other; nothing configured returns {}."""
    if not alerts:
        return {}
    outcome: dict[str, str] = {}
    if settings.webhook:
        try:
            post_webhook(settings.webhook, alerts)
            outcome["webhook"] = "ok"
        except (requests.RequestException, RuntimeError) as error:
            outcome["webhook"] = f"{type(error).__name__}: {error}".replace(
                settings.webhook, _where(settings.webhook)
            )
    if settings.email:
        try:
            send_email(alerts, settings)
            outcome["email"] = "ok"
        except (OSError, smtplib.SMTPException) as error:
            outcome["email"] = f"{type(error).__name__}: {error}"
    return outcome
