"""The benchmark's own arithmetic: what it reads from wrk and how it pairs windows."""

from bench.__main__ import parse_wrk
from bench.common import Emulator
from bench.report import paired_ratio

WRK = """Running 3s test @ http://127.0.0.1:1/api/auth/me
  2 threads and 16 connections
  Latency Distribution
     50%    4.27ms
     75%    6.18ms
     90%    9.74ms
     99%    1.20s
  10697 requests in 3.00s, 6.01MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 7
Requests/sec:   3560.34
"""


def test_wrk_output_is_read_with_units_and_every_kind_of_error():
    assert parse_wrk(WRK) == {"rps": 3560.34, "p50_ms": 4.27, "p99_ms": 1200.0, "errors": 12}


def test_ratios_pair_the_windows_of_one_round():
    http = {"a": {"rps_samples": [100, 50, 90]}, "b": {"rps_samples": [100, 50, 100]}}
    # medians of the rows alone would say 0.9; each round says a == b but one
    assert paired_ratio(http, "a", "b") == 1.0


def test_the_callback_measurement_signs_people_in_through_the_wsgi_handler(wos, db):
    """The bench's callback rows come from real sign-ins against the emulator (both cases, their
    WorkOS calls and queries counted), not from a stand-in."""
    from django.core import signals
    from django.db import close_old_connections

    from accounts.models import AuthSession, User
    from bench import inprocess

    # as Django's test client does: the test's database connection must outlive each request
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        result = inprocess.callback(Emulator(wos.url), runs=2)
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)
    existing, new = result["existing user"], result["new user"]
    assert (existing["workos_calls"], existing["samples"], new["workos_calls"], new["samples"]) == (1, 2, 1, 2)
    # a new person: one query more than before, linking their directory entry at once
    assert existing["queries"] <= 3 < new["queries"] <= 9
    # 3 warm-ups + 2 timed + 3 counted sign-ins of one person; 2 + 3 newcomers
    assert User.objects.count() == 1 + 5 and AuthSession.objects.count() == 8 + 5
    latency = inprocess.database_latency(samples=3)
    assert set(latency) == {"round_trip_ms", "write_and_commit_ms"} and all(ms > 0 for ms in latency.values())
