# ruff: noqa: F811 (the small_camp fixture is imported, then requested by name)
"""Alerts reach a person: real Dagster runs on a small catalogue, the real alert sensors,
a local HTTP server receiving the webhook's POSTs and a local SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import json
import threading
from collections.abc import Iterator
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dagster import DagsterInstance, build_run_status_sensor_context

from pipelines.defs.alert_sensors import CHECKS_SENSOR, FAILED_RUNS_SENSOR
from pipelines.defs.definitions import build_definitions
from pipelines.ops.alerts import Alert, AlertSettings, send
from tests.camp_runs import (  # noqa: F401 (small_camp is a fixture)
    DECP_LOCAL,
    break_decp,
    fetch_decp_from,
    small_camp,
)
from tests.conftest import free_port


class Hook:
    """A local webhook: records every JSON body POSTed to it; answers `status`."""

    def __init__(self) -> None:
        self.bodies: list[dict] = []
        self.status = 200
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length") or 0)
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(hook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/s3cr3t-token"


@pytest.fixture
def webhook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    hook = Hook()
    thread = threading.Thread(target=hook.httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("CAMP_ALERT_WEBHOOK", hook.url)
    monkeypatch.setenv("CAMP_DAGSTER_URL", "http://camp.example:3000/")
    try:
        yield hook
    finally:
        hook.httpd.shutdown()
        hook.httpd.server_close()


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 OK"


@pytest.fixture
def mailbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    from aiosmtpd.controller import Controller

    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("CAMP_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("CAMP_SMTP_PORT", str(port))
    monkeypatch.setenv("CAMP_ALERT_EMAIL", "officier@ville.example, dsi@ville.example")
    monkeypatch.setenv("CAMP_SMTP_FROM", "camp@ville.example")
    try:
        yield box
    finally:
        controller.stop()


def run_and_alert(instance: DagsterInstance, job: str = "main"):
    """Run `job` for real, then evaluate the alert sensor matching its outcome on it."""
    defs = build_definitions()
    result = defs.resolve_job_def(job).execute_in_process(instance=instance, raise_on_error=False)
    run = instance.get_run_by_id(result.run_id)
    name = CHECKS_SENSOR if result.success else FAILED_RUNS_SENSOR
    event = result.get_run_success_event() if result.success else result.get_run_failure_event()
    context = build_run_status_sensor_context(
        sensor_name=name, dagster_event=event, dagster_instance=instance, dagster_run=run
    )
    if not result.success:
        context = context.for_run_failure()
    defs.resolve_sensor_def(name)(context)
    return result


@pytest.mark.slow  # whole Dagster runs
def test_a_blocked_refresh_posts_the_dataset_the_reason_and_the_run_url(
    small_camp: Path, webhook: Hook
) -> None:
    with DagsterInstance.ephemeral() as instance:
        assert run_and_alert(instance).success
        assert webhook.bodies == [], "a clean run alerts nobody"
        break_decp(small_camp)
        result = run_and_alert(instance)
    assert not result.success
    (body,) = webhook.bodies
    assert body["dataset"] == "decp" and body["resource"] == "marches"
    assert body["state"] == "bloqué"
    assert body["reason"].startswith("Publication bloquée : ")
    assert "au-delà de la limite de 50,0 %" in body["reason"]
    assert body["run_url"] == f"http://camp.example:3000/runs/{result.run_id}"
    assert body["job"] == "main" and body["run_id"] == result.run_id
    assert "decp (marches) — bloqué" in body["text"]


@pytest.mark.slow  # whole Dagster runs
def test_an_unreachable_source_posts_and_mails_the_same(
    small_camp: Path, webhook: Hook, mailbox: Mailbox, http_server, monkeypatch
) -> None:
    sample = (small_camp / DECP_LOCAL).read_bytes()
    route = http_server.route("/decp.csv", body=sample)
    fetch_decp_from(small_camp, f"{http_server.url}/decp.csv", monkeypatch)
    with DagsterInstance.ephemeral() as instance:
        assert run_and_alert(instance, "refresh_decp").success
        route.status, route.body = 404, b"gone"
        result = run_and_alert(instance, "refresh_decp")
    (body,) = webhook.bodies
    assert (body["dataset"], body["state"]) == ("decp", "en échec")
    assert body["reason"].startswith("Source en échec : ") and "404" in body["reason"]
    assert body["run_url"].endswith(f"/runs/{result.run_id}")

    (message,) = mailbox.messages
    assert mailbox.envelopes == [
        ("camp@ville.example", ["officier@ville.example", "dsi@ville.example"])
    ]
    assert message["Subject"] == "[territoire-camp] Alerte : decp"
    text = message.get_content()
    assert "decp (marches) — en échec : Source en échec : " in text
    assert f"Run : http://camp.example:3000/runs/{result.run_id}" in text


@pytest.mark.slow  # whole Dagster runs
def test_a_quality_regression_in_a_green_run_is_sent_too(small_camp: Path, webhook: Hook) -> None:
    import csv

    with DagsterInstance.ephemeral() as instance:
        assert run_and_alert(instance, "refresh_decp").success
        sample = small_camp / DECP_LOCAL
        with sample.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        with sample.open("w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(rows[:1001])  # 4,000 rows out of 5,000 vanish
        result = run_and_alert(instance, "refresh_decp")
    assert result.success
    (body,) = webhook.bodies
    assert (body["dataset"], body["state"]) == ("decp", "régression de qualité")
    assert "lignes en moins" in body["reason"]


@pytest.mark.slow  # whole Dagster runs
def test_nothing_configured_sends_nothing_and_says_so_once(
    small_camp: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from pipelines.defs import alert_sensors

    alert_sensors._said_unconfigured.clear()
    break_decp(small_camp)
    with DagsterInstance.ephemeral() as instance:
        run_and_alert(instance)
        run_and_alert(instance)
    # the sensor's log (shown on its tick in the UI) says it once, for two failed runs
    assert capfd.readouterr().err.count("No alert channel configured") == 1
    assert send([], AlertSettings.from_env({})) == {}
    assert AlertSettings.from_env({}).channels == []


def test_a_webhook_that_fails_is_reported_without_its_token(webhook: Hook) -> None:
    webhook.status = 500
    settings = AlertSettings.from_env({"CAMP_ALERT_WEBHOOK": webhook.url})
    alert = Alert("decp", "marches", "bloqué", "trop de lignes invalides", "r1", "main", "u")
    outcome = send([alert], settings)
    assert outcome["webhook"].endswith("answered HTTP 500")
    assert "s3cr3t-token" not in outcome["webhook"]
    assert webhook.bodies and webhook.bodies[0]["reason"] == "trop de lignes invalides"
