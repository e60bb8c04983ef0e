"""The one place that builds WorkOS SDK clients and turns SDK failures into Gatehouse errors.

Two clients, both built lazily from settings (the SDK refuses to construct without credentials,
so nothing here runs at import time):
- `client()` for reads and idempotent calls: the SDK's own retries are allowed.
- `one_shot_client()` for calls that must happen at most once (code exchange, refresh-token
  rotation, Connect completion): `max_retries=0`, because a retried code exchange burns the code.
"""

import contextlib
import contextvars
import functools
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import httpx2
import workos
from django.conf import settings
from django.core.signals import setting_changed
from django.db import connections

from accounts.errors import NotConfigured, ProviderError, ProviderUnavailable
from observability import metrics
from workos_integration import waiting
from workos_integration.conf import app_settings
from workos_integration.sdk import APIError, HttpxBackend, WorkOSConnectionError, WorkOSTimeoutError

log = logging.getLogger(__name__)
T = TypeVar("T")


def is_configured() -> bool:
    return bool(app_settings.WORKOS_API_KEY and app_settings.WORKOS_CLIENT_ID)


class MalformedResponse(workos.WorkOSError):
    pass


class _StrictJSONBackend(HttpxBackend):
    """The SDK's own httpx transport, refusing 2xx bodies that are not JSON.

    The SDK turns such a body into None (or, for list calls, an empty page), which would make
    a sync believe WorkOS has no connections left. Failing loudly is the only safe reading.
    """

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        response = super().request(method, url, **kwargs)
        if (spent := _workos_request_ids.get()) is not None:
            spent.append(response.headers.get("x-request-id", ""))
        if 200 <= response.status_code < 300 and response.content:
            try:
                json.loads(response.content)
            except ValueError:
                raise MalformedResponse(f"WorkOS answered {method} {url} with a body that is not JSON") from None
        return response


_expect_list = contextvars.ContextVar("gatehouse_expect_list", default=False)
# WorkOS's ids of the answers to the call under way (its retries included): for the log line
_workos_request_ids: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "gatehouse_workos_request_ids", default=None
)


class _StrictClient(workos.WorkOSClient):
    """The SDK's client, refusing a list answer that is not a list envelope.

    The SDK reads `{}`, `null` or `{"data": null}` as an empty page: a sync would then believe
    WorkOS has nothing left and delete the mirror. Any such answer is an error instead.
    """

    def request_page(self, *args: Any, **kwargs: Any) -> Any:
        token = _expect_list.set(True)
        try:
            return super().request_page(*args, **kwargs)
        finally:
            _expect_list.reset(token)

    def request(self, *args: Any, **kwargs: Any) -> Any:
        expect_list = _expect_list.get()
        raw = super().request(*args, **kwargs)
        if expect_list and not (
            isinstance(raw, dict) and isinstance(raw.get("data"), list) and isinstance(raw.get("list_metadata"), dict)
        ):
            raise MalformedResponse(
                f"WorkOS answered a list request with something that is not a list: {str(raw)[:100]}"
            )
        return raw


def _build(max_retries: int) -> workos.WorkOSClient:
    if not is_configured():
        raise NotConfigured(
            "WorkOS is not configured: set WORKOS_API_KEY and WORKOS_CLIENT_ID.", code="workos_not_configured"
        )
    # WORKOS_REQUEST_TIMEOUT bounds a call with its retries: a WorkOS that hangs holds a worker no
    # longer than that (and the short pauses between tries), whatever the number of tries.
    per_try = app_settings.WORKOS_REQUEST_TIMEOUT / (max_retries + 1)
    return _StrictClient(
        api_key=app_settings.WORKOS_API_KEY,
        client_id=app_settings.WORKOS_CLIENT_ID,
        base_url=app_settings.WORKOS_BASE_URL,
        request_timeout=per_try,
        max_retries=max_retries,
        # as many connections to WorkOS as calls in flight (a storm of sign-ins waits on WorkOS
        # in parallel; httpx's default of 100 would queue the rest), at most 64 kept idle
        http_client=_StrictJSONBackend(
            httpx2.Client(timeout=per_try, limits=httpx2.Limits(max_connections=None, max_keepalive_connections=64))
        ),
    )


@functools.cache
def client() -> workos.WorkOSClient:
    return _build(max_retries=app_settings.WORKOS_MAX_RETRIES)


@functools.cache
def one_shot_client() -> workos.WorkOSClient:
    return _build(max_retries=0)


def reset_clients(**kwargs: Any) -> None:
    """Forget built clients (settings changed, e.g. in tests pointing at a new emulator)."""
    for getter in (client, one_shot_client):
        if getter.cache_info().currsize:
            with contextlib.suppress(Exception):  # closing a half-broken HTTP pool must never mask the reset
                getter().close()
        getter.cache_clear()


setting_changed.connect(reset_clients)


def error_code(exc: BaseException) -> str | None:
    """The stable code WorkOS gave for an APIError (`code` or OAuth `error`), if any."""
    return getattr(exc, "code", None) or getattr(exc, "error", None)


def translate(exc: BaseException, *, action: str) -> ProviderError:
    """Map an SDK exception to a Gatehouse error. `action` reads as 'could not <action>'."""
    if isinstance(exc, workos.RateLimitExceededError):
        retry_after = getattr(exc, "retry_after", None) or 30
        return ProviderUnavailable(
            f"WorkOS is rate limiting us; could not {action}. Try again in {int(retry_after)} seconds.",
            code="workos_rate_limited",
            status=429,
            retry_after=retry_after,
        )
    if isinstance(exc, workos.ServerError):
        log.warning("WorkOS server error while trying to %s: %s", action, exc)
        return ProviderUnavailable(
            f"WorkOS had an error; could not {action}. Try again in a moment.",
            code="workos_unavailable",
            status=503,
            retry_after=5,
        )
    if isinstance(exc, (WorkOSConnectionError, WorkOSTimeoutError)):
        log.warning("WorkOS unreachable while trying to %s: %s", action, exc)
        return ProviderUnavailable(
            f"WorkOS could not be reached; could not {action}.", code="workos_unreachable", status=502
        )
    if isinstance(exc, workos.AuthenticationError):
        log.error("WorkOS rejected our API key while trying to %s", action)
        return ProviderUnavailable(
            f"WorkOS rejected this server's credentials; could not {action}.", code="workos_misconfigured", status=502
        )
    if isinstance(exc, APIError):
        code = error_code(exc) or "workos_error"
        description = getattr(exc, "error_description", None) or (
            exc.message if not str(exc.message).startswith("{") else None
        )
        # 403s are AuthKit step-up requirements (email verification, MFA, organization choice).
        status = 403 if exc.status_code == 403 else 404 if exc.status_code == 404 else 400
        return ProviderError(description or f"WorkOS refused the request ({code}).", code=code, status=status)
    log.warning("Unexpected WorkOS response while trying to %s: %r", action, exc)
    return ProviderUnavailable(
        f"WorkOS sent a response we could not read; could not {action}.", code="workos_bad_response", status=502
    )


def paged(page: Any, action: str) -> Iterator[Any]:
    """Every item of a list answer, later pages fetched lazily, their failures translated too."""
    iterator = page.auto_paging_iter()
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except Exception as exc:  # noqa: BLE001 -- translated, never swallowed
            raise translate(exc, action=action) from exc
        yield item


def read_ahead(iterable: Iterable[T], depth: int = 2) -> Iterator[T]:
    """The items of `iterable`, produced by a background thread up to `depth` items ahead: the
    next WorkOS page is fetched while the caller writes the last one, so the two waits overlap.
    The producer's exceptions are raised here, in order; a caller that stops early (an error of
    its own) stops the producer at its next item. The producer must not touch the database (its
    thread has no connection of its own to manage): only WorkOS reads belong there."""
    items: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=depth)
    stopped = threading.Event()
    end = object()

    def put(entry: tuple[Any, BaseException | None]) -> bool:
        while not stopped.is_set():
            try:
                items.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in iterable:
                if not put((item, None)):
                    return
            put((end, None))
        except BaseException as exc:  # noqa: BLE001 -- handed to the consumer, raised there
            put((end, exc))
        finally:
            if hasattr(iterable, "close"):
                iterable.close()  # a generator left part way lets go of what it holds now

    threading.Thread(target=produce, name="workos-read-ahead", daemon=True).start()
    try:
        while True:
            item, error = items.get()
            if item is end:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stopped.set()


_time_spent: contextvars.ContextVar[list[float] | None] = contextvars.ContextVar(
    "gatehouse_workos_time_spent", default=None
)


@contextlib.contextmanager
def time_spent() -> Iterator[list[float]]:
    """Collect the wall time (ms) of each WorkOS call made inside: what a request spent waiting
    on WorkOS, network included, as opposed to its own work."""
    spent: list[float] = []
    token = _time_spent.set(spent)
    try:
        yield spent
    finally:
        _time_spent.reset(token)


def _transactions_held() -> list[str]:
    """The databases on which this thread holds a transaction of its own (a test's wrapping
    transaction does not count)."""
    return [
        alias
        for alias in connections
        if (conn := connections[alias]).in_atomic_block
        and any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)
    ]


def call(action: str, fn: Callable[..., Any], *args: Any, expect_result: bool = True, **kwargs: Any) -> Any:
    """Run one SDK call; any WorkOS failure comes out as a GatehouseError.

    The SDK returns None for a 2xx body it cannot parse as JSON, so an expected result that is
    missing is a bad response too.
    """
    if held := _transactions_held():
        # A transaction (and its row locks) held while WorkOS answers makes every sign-in wait
        # on the slowest WorkOS call: a defect, loud in development, logged in production.
        if settings.DEBUG:
            raise RuntimeError(f"WorkOS call ({action}) inside a database transaction on {held}")
        log.error("WorkOS call (%s) inside a database transaction on %s", action, held)
    started = time.perf_counter()
    status = "ok"
    waiting.give_turn()  # and the pooled database connection: the wait holds neither
    request_ids: list[str] = []
    ids_token = _workos_request_ids.set(request_ids)
    try:
        result = fn(*args, **kwargs)
    except (workos.WorkOSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        translated = translate(exc, action=action)
        status = str(getattr(exc, "status_code", None) or translated.code)
        raise translated from exc
    finally:
        _workos_request_ids.reset(ids_token)
        waiting.take_turn()
        elapsed_ms = (time.perf_counter() - started) * 1000
        metrics.WORKOS_CALLS.labels(action, status).inc()
        metrics.WORKOS_SECONDS.labels(action).observe(elapsed_ms / 1000)
        workos_request_id = ",".join(filter(None, request_ids))
        log.info(
            "WorkOS: %s: %s in %.1f ms (WorkOS request %s)",
            action,
            status,
            elapsed_ms,
            workos_request_id or "-",
            extra={"event": "workos_call", "outcome": status, "workos_request_id": workos_request_id},
        )
        if (spent := _time_spent.get()) is not None:
            spent.append(elapsed_ms)
    if expect_result and result is None:
        raise translate(workos.WorkOSError("empty or non-JSON response body"), action=action)
    return result
