"""After waiting on WorkOS, a request finishes its work through a small gate per process.

A sign-in mostly waits on WorkOS (a round trip of 100-300 ms) and then works a little (its
account, session and tokens: a few ms of CPU). Hundreds wait at once on a threaded server; if all
their work then ran at once, their threads would take turns at the interpreter lock with every
other request, and a request that never waits on WorkOS (`/api/auth/me`, on every page load)
would queue behind all of them at each turn. So the work of a request after a WorkOS answer
passes through a gate of WORKOS_AFTER_WAIT_SLOTS threads per process: the others wait their
turn asleep, in order, and the rest of the traffic shares the lock with only those few. Throughput
is the same (the lock lets one thread run at a time anyway); only who waits changes.

A request waiting (on WorkOS or at the gate) gives its pooled database connection back first, so
that the few threads at work always find one, however many wait.

The gate is held from a WorkOS answer to the end of the request or the next WorkOS call,
whichever comes first, and by a view marked `waits_on_workos` (the sign-in and refresh
endpoints) from its start, so that its work before the first call queues too. A thread never
takes it inside a database transaction (no WorkOS call happens inside one), so the gate and row
locks cannot wait on each other. Only requests are gated: a management command or a background
reader never is.
"""

import threading
from typing import Any

from django.core.signals import setting_changed
from django.db import connections

from workos_integration.conf import app_settings

_state = threading.local()
_gate: threading.BoundedSemaphore | None = None
_made = threading.Lock()


def _the_gate() -> threading.BoundedSemaphore:
    global _gate
    with _made:
        if _gate is None:
            _gate = threading.BoundedSemaphore(app_settings.WORKOS_AFTER_WAIT_SLOTS)
        return _gate


def in_request() -> bool:
    """Whether this thread is serving a request now."""
    return getattr(_state, "in_request", False)


def _forget(setting: str = "", **kwargs: Any) -> None:
    global _gate
    if setting == "WORKOS_AFTER_WAIT_SLOTS":
        with _made:
            _gate = None


setting_changed.connect(_forget)


def request_started() -> None:
    _state.in_request, _state.holding = True, None


def request_finished() -> None:
    _release_gate()  # Django gives the database connections back itself at the request's end
    _state.in_request = False


def waits_on_workos(view):
    """Mark a view (function or class) whose requests wait on WorkOS: they take the gate from
    their start."""
    view.waits_on_workos = True
    return view


def view_starts(view) -> None:
    """WorkOSWaitingMiddleware's: a marked view's request works through the gate from here."""
    if getattr(view, "waits_on_workos", False) or any(
        getattr(getattr(view, attr, None), "waits_on_workos", False) for attr in ("view_class", "cls")
    ):
        take_turn()


def give_turn() -> None:
    """A WorkOS call is about to wait: the gate goes to another thread meanwhile, and so does the
    pooled database connection."""
    _release_gate()
    _give_back_connections()


def _release_gate() -> None:
    holding = getattr(_state, "holding", None)
    if holding is not None:
        _state.holding = None
        holding.release()


def take_turn() -> None:
    """WorkOS answered (or a marked view starts): this request's work goes on once the gate
    lets it. It waits holding no pooled database connection: the threads at work must find one."""
    if in_request() and _state.holding is None:
        _give_back_connections()
        gate = _the_gate()
        gate.acquire()
        _state.holding = gate


def _give_back_connections() -> None:
    """Return this request's pooled database connections (PostgreSQL with DB_POOL) before it
    waits, on WorkOS or at the gate: a waiting request holds none, and its next query takes one
    again. Only requests: a command may be reading rows through a server-side cursor that must
    outlive a WorkOS call. Never inside a transaction (there is no WorkOS call inside one)."""
    if not in_request():
        return
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and getattr(conn, "pool", None) and not conn.in_atomic_block:
            conn.close()
