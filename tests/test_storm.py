"""Sign-in storms: the gate that lets requests which never wait on WorkOS pass a storm of
sign-ins (workos_integration.waiting), and the storm benchmark's own counting (bench.storm)."""

import asyncio
import os
import threading

from rest_framework.test import APIClient

from bench import storm
from bench.report import storm_targets
from workos_integration import waiting


def _request(entered, release, slots_taken):
    waiting.request_started()
    try:
        waiting.take_turn()  # as after a WorkOS answer
        slots_taken.append(threading.current_thread().name)
        entered.set()
        release.wait(10)
    finally:
        waiting.request_finished()


def test_after_a_workos_answer_requests_take_turns_at_the_gate(settings):
    settings.WORKOS_AFTER_WAIT_SLOTS = 1
    taken = []
    first_in, second_in, release_first, release_second = (threading.Event() for _ in range(4))
    first = threading.Thread(target=_request, args=(first_in, release_first, taken), name="first")
    second = threading.Thread(target=_request, args=(second_in, release_second, taken), name="second")
    first.start()
    assert first_in.wait(5)
    second.start()
    assert not second_in.wait(0.3)  # the one slot is taken: the second waits its turn
    # a thread outside any request (a command, a background reader) is never held back
    outside = threading.Thread(target=waiting.take_turn)
    outside.start()
    outside.join(5)
    assert not outside.is_alive()
    release_first.set()
    assert second_in.wait(5)
    release_second.set()
    first.join(5), second.join(5)
    assert taken == ["first", "second"]


def test_a_request_gives_its_turn_back_while_it_waits_on_workos(settings):
    settings.WORKOS_AFTER_WAIT_SLOTS = 1
    waiting.request_started()
    try:
        waiting.take_turn()
        waiting.give_turn()  # a WorkOS call starts waiting: another request may work meanwhile
        other_in, release = threading.Event(), threading.Event()
        other = threading.Thread(target=_request, args=(other_in, release, []))
        other.start()
        assert other_in.wait(5)
        release.set()
        other.join(5)
        waiting.take_turn()  # and this one goes on once the slot is free again
    finally:
        waiting.request_finished()


def test_the_storm_load_generator_counts_answers_and_failures(wos):
    jobs = [("GET", "/_emulator/health", None, [])] * 20 + [("POST", "/_emulator/nowhere", {"a": 1}, [])] * 5
    results = []  # in a thread of its own: a browser test may have left this one an event loop
    flood = threading.Thread(target=lambda: results.extend(asyncio.run(storm._flood(wos.url, jobs, 8))))
    flood.start()
    flood.join(30)
    summary = storm._summary(results, wall=2.0)
    assert (summary["requests"], summary["errors"], summary["rps"]) == (25, 5, 10.0)
    assert summary["error_sample"] and summary["error_sample"][0].startswith("404")


def test_a_storm_row_is_held_to_the_smaller_of_its_two_limits():
    answers = [(200, seconds / 100, b"{}") for seconds in range(1, 101)]
    me = [(200, 0.005)] * 99 + [(200, 0.2)]
    # 100 answers in 1 s with 1 s of CPU: 10 ms each, so the cores allow cores / 0.01 per second
    row = storm._row(answers, 1.0, {"machine": 1.0, "app": 0.6}, me, concurrency=200, latency_s=0.25)
    cores = os.cpu_count()
    assert row["limit_rps"] == min(200 / 0.25, cores / 0.01) and row["ratio"] == 100 / row["limit_rps"]
    assert row["cpu_ms"] == 10 and row["cpu_ms_by_part"] == {"app": 6.0}
    assert row["p99_ms"] == 1000 and row["me_p99_ms"] == 200


def test_the_storm_targets_read_the_shipped_rows():
    def row(rps, p99, me_p99, errors=0, ratio=0.8):
        return {"rps": rps, "p99_ms": p99, "me_p99_ms": me_p99, "errors": errors, "ratio": ratio}

    shipped = {
        "rows": {
            "callbacks|200": row(150, 1500, 40),
            "refreshes|200": row(140, 1600, 120, errors=2),
            "callbacks|50": row(100, 900, 30),
            "refreshes|50": row(100, 1100, 30),
        },
        "peak_mb": 320,
    }
    met = {what: ok for what, _, _, ok in storm_targets({"latency_ms": 250, "setups": {"shipped": shipped}})}
    assert met["storm: 200 concurrent callbacks, errors"] and not met["storm: 200 concurrent refreshes, errors"]
    assert (
        not met["storm: /api/auth/me p99 during 200 refreshes"] and met["storm: /api/auth/me p99 during 200 callbacks"]
    )
    assert met["storm: 50 concurrent callbacks, p99"] and not met["storm: 50 concurrent refreshes, p99"]
    assert met["storm: 200 concurrent callbacks, x their limit"] and met["storm: app processes at peak"]


def test_sign_in_endpoints_queue_at_the_gate_and_other_requests_pass_it(settings, db):
    settings.WORKOS_AFTER_WAIT_SLOTS = 1
    held, release = threading.Event(), threading.Event()
    holder = threading.Thread(target=_request, args=(held, release, []))
    holder.start()
    assert held.wait(5)
    answers = []
    refresher = threading.Thread(
        target=lambda: answers.append(APIClient().post("/api/token/refresh/", {"refresh": "x.y.z"}, format="json"))
    )
    try:
        assert APIClient().get("/api/auth/me").status_code == 401  # never waits on WorkOS: not held back
        refresher.start()
        refresher.join(0.3)
        assert refresher.is_alive() and not answers  # a refresh waits its turn from its start
    finally:
        release.set()
    refresher.join(5)
    holder.join(5)
    assert answers[0].status_code == 401 and answers[0].json()["code"] == "token_invalid"
