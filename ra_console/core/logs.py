"""Logging for operators: plain text or JSON lines, each with the request id of the web
request or job run it belongs to, and with e-mail addresses taken out."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

# The id of the web request or job run being handled (None outside both).
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s"
ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


def new_request_id(prefix: str = "") -> str:
    return prefix + uuid.uuid4().hex


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class _Redacting(logging.Formatter):
    """Another formatter's output with every e-mail address replaced: one rule for all
    messages, tracebacks and errors that quote a recipient."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        return ADDRESS.sub("<address>", self.inner.format(record))


def build_handler(config: dict, stream=None) -> logging.Handler:
    """The stderr handler as `logging.*` configures it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = (JsonFormatter(JSON_FIELDS, rename_fields={"levelname": "level"})
                 if config["logging.format"] == "json" else logging.Formatter(TEXT_FORMAT))
    handler.setFormatter(_Redacting(formatter) if config["logging.redact_addresses"]
                         else formatter)
    handler.addFilter(_RequestIdFilter())
    return handler


def configure_logging(config: dict) -> None:
    """The process's logging (gunicorn's app, the job runner): replaces earlier handlers."""
    logging.basicConfig(handlers=[build_handler(config)], level=config["logging.level"],
                        force=True)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per job run
    # the state machine library narrates every callback of every transition at INFO
    logging.getLogger("transitions").setLevel(logging.WARNING)
