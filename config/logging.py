"""Logs a machine can read (`LOG_FORMAT=json`: one JSON object per line) and the request id
that ties a request's lines together (config.middleware.RequestIDMiddleware sets it)."""

import contextvars
import datetime as dt
import json
import logging

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("gatehouse_request_id", default="")

# what a log call may add with `extra=` (the audit trail's lines carry most of them)
FIELDS = ("event", "user_id", "email", "organization", "method", "outcome", "reason", "workos_request_id")


class RequestIDFilter(logging.Filter):
    def filter(self, record):
        record.request_id = REQUEST_ID.get()
        return True


class JSONFormatter(logging.Formatter):
    def format(self, record):
        line = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": getattr(record, "event", None) or record.getMessage(),
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
        }
        line.update(
            {name: getattr(record, name) for name in FIELDS[1:] if getattr(record, name, None) not in (None, "")}
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)
