"""`python -m stripe_local`: prints where it listens and its webhook secret, stops cleanly on
SIGTERM, and with `--state` keeps its objects and its clock across a restart."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import stripe_local
from stripe_local.client import ControlClient, stripe_client
from tests.stripe_local.support import SECRET, Receiver, create_session

ROOT = Path(__file__).resolve().parents[2]


def start(*arguments: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_local", "--port", "0", "--quiet", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = [process.stdout.readline() for _ in range(4)]
    assert lines[0].startswith("Local Stripe listening on http://127.0.0.1:"), lines
    return process, lines[0].split()[-1], lines


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=10)
    assert process.returncode == 0, output
    return output


def test_the_command_prints_its_address_and_secret_and_keeps_state(tmp_path):
    state = tmp_path / "stripe.json"
    process, url, lines = start("--webhook-secret", "whsec_cli_test", "--state", str(state))
    try:
        assert any("whsec_cli_test" in line for line in lines)
        sdk = stripe_client(url, "sk_test_cli")
        session = create_session(sdk, 2500, client_reference_id="order:cli")
        advanced = ControlClient(url).advance_clock(3600)
    finally:
        assert "Local Stripe stopped." in stop(process)
    assert state.exists()

    process, url, _ = start("--state", str(state))
    try:
        sdk = stripe_client(url, "sk_test_cli")
        again = sdk.v1.checkout.sessions.retrieve(session.id)
        assert (again.client_reference_id, again.amount_total, again.status) == ("order:cli", 2500, "open")
        assert ControlClient(url).now() >= advanced
        assert again.url is not None
        assert again.url.startswith(url)
    finally:
        stop(process)


def test_starting_in_a_thread_takes_well_under_a_second():
    began = time.perf_counter()
    with stripe_local.running(tick_interval=None) as server:
        started = time.perf_counter() - began
        assert server.client().v1.balance.retrieve().object == "balance"
    assert started < 0.2


def test_events_not_yet_delivered_go_out_after_a_restart(tmp_path):
    state = tmp_path / "stripe.json"
    receiver = Receiver()
    receiver.start()
    try:
        options = {
            "state_file": state,
            "webhook_secret": SECRET,
            "tick_interval": None,
            "webhook_retry_base": 60.0,
        }
        with stripe_local.running(
            **options, webhook_url=receiver.url.replace("/payments/", "/nowhere/")
        ) as first:
            receiver.answers[:] = [404]
            session = create_session(first.client())
            first.client().v1.checkout.sessions.expire(session.id)
            assert not first.control.wait_for_webhooks(timeout=0.3)
        with stripe_local.running(**options, webhook_url=receiver.url) as second:
            assert second.control.wait_for_webhooks()
            assert [item.answered for item in receiver.received] == [404, 200]
            delivered = receiver.events()[-1]
            assert (delivered["type"], delivered["data"]["object"]["id"]) == (
                "checkout.session.expired",
                session.id,
            )
            assert second.client().v1.events.retrieve(delivered["id"]).pending_webhooks == 0
    finally:
        receiver.stop()
