"""When to send a request again, and how long to wait first. Pure functions: no I/O, no clock.

The rule that matters most: a chat completion runs a workflow and writes chat records, so it is never
sent again once the server may have started it. Only a failure that proves the request never arrived
(no connection, or an answer of 429 / 503 before any work) allows another try.
"""

from __future__ import annotations

import datetime
import email.utils
import enum
import re
import time
from dataclasses import dataclass

__all__ = [
    "DEFAULT_RETRY_POLICY",
    "Failure",
    "RequestKind",
    "RetryPolicy",
    "backoff_delay",
    "parse_retry_after",
    "should_retry",
]

RETRY_AFTER_CAP = 60.0

_DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


class RequestKind(enum.Enum):
    READ = "read"  # GET: safe to repeat
    WRITE = "write"  # POST/PUT/DELETE on CRUD endpoints: repeat only if it never ran
    COMPLETION = "completion"  # runs a workflow: repeat only if it never ran


class Failure(enum.Enum):
    CONNECT = "connect"  # could not connect, or no pooled connection: the request never left
    TIMEOUT = "timeout"  # read/write timeout: the server may have the request
    DISCONNECT = "disconnect"  # reset / closed / protocol error after sending
    STATUS = "status"  # an HTTP status arrived


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait between tries: `initial_delay` before the second try, doubling each time up to
    `max_delay`, less a random share of up to `jitter` of it (so clients that failed together do not
    all come back together). `Client.builder().retry_backoff(...)` sets the first three."""

    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: float = 0.25
    retry_after_cap: float = RETRY_AFTER_CAP

    def problem(self) -> tuple[str, str] | None:
        """(field, what is wrong) when the values cannot make a schedule, else None."""
        for name, value in (("initial", self.initial_delay), ("maximum", self.max_delay)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                return name, f"retry_backoff {name} must be a positive number of seconds, got {value!r}"
            if value == float("inf"):
                return name, f"retry_backoff {name} must be finite"
        if self.max_delay < self.initial_delay:
            return "maximum", (
                f"retry_backoff maximum ({self.max_delay!r}) must not be below initial ({self.initial_delay!r})"
            )
        jitter = self.jitter
        if isinstance(jitter, bool) or not isinstance(jitter, (int, float)) or not 0 <= jitter <= 1:
            return "jitter", f"retry_backoff jitter must be a share from 0 to 1, got {jitter!r}"
        return None


DEFAULT_RETRY_POLICY = RetryPolicy()


def should_retry(
    kind: RequestKind,
    failure: Failure,
    status_code: int | None,
    attempt: int,
    max_retries: int,
) -> bool:
    """Whether to try again after `attempt` failed tries (the first try is attempt 1).

    A stream that has begun is never tried again: its shell never goes back to sending once it hands
    out the response, so the question does not arise here.
    """
    if attempt > max_retries:
        return False
    if failure is Failure.CONNECT:
        return True
    if failure is Failure.STATUS:
        if status_code in (429, 503):
            return True
        return kind is RequestKind.READ and status_code in (502, 504)
    if failure is Failure.TIMEOUT:
        return kind is RequestKind.READ
    return False


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date. None if unusable.

    Delta-seconds are digits (a fraction is tolerated); anything else that is not a date, a negative
    number included, is unusable, so the caller keeps its own backoff instead of retrying at once.
    """
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000": UTC without zone information, not local time
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    seconds = parsed.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def backoff_delay(
    attempt: int,
    retry_after: float | None,
    jitter: float,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> float:
    """Delay before the next try. `jitter` in [0, 1) comes from the caller so this stays pure; the
    policy's `jitter` is the largest share of the delay it may take off.

    A server's Retry-After wins, capped so a bad header cannot park the caller for hours.
    """
    if retry_after is not None:
        return min(retry_after, policy.retry_after_cap)
    base = min(policy.initial_delay * 2.0 ** (attempt - 1), policy.max_delay)
    return base * (1.0 - policy.jitter * jitter)
