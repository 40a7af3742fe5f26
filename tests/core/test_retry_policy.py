"""The retry policy as pure functions: the decision table, Retry-After parsing and the backoff."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Iterator

import pytest

from fastgpt_oapi.core.retry import (
    RETRY_AFTER_CAP,
    Failure,
    RequestKind,
    RetryPolicy,
    backoff_delay,
    parse_retry_after,
    should_retry,
)

R, W, C = RequestKind.READ, RequestKind.WRITE, RequestKind.COMPLETION

# The contract, spelled out: retried are connect failures (the request never left), 429 and 503;
# reads (GET) also after a timeout, 502 and 504. A completion (or any write) never after the server
# may have started it: not after a timeout, a reset, 500 / 502 / 504.
#
#   failure           status  READ   WRITE  COMPLETION
DECISIONS: list[tuple[Failure, int | None, bool, bool, bool]] = [
    (Failure.CONNECT, None, True, True, True),
    (Failure.TIMEOUT, None, True, False, False),
    (Failure.DISCONNECT, None, False, False, False),
    (Failure.STATUS, 200, False, False, False),
    (Failure.STATUS, 201, False, False, False),
    (Failure.STATUS, 301, False, False, False),
    (Failure.STATUS, 302, False, False, False),
    (Failure.STATUS, 400, False, False, False),
    (Failure.STATUS, 401, False, False, False),
    (Failure.STATUS, 403, False, False, False),
    (Failure.STATUS, 404, False, False, False),
    (Failure.STATUS, 408, False, False, False),
    (Failure.STATUS, 409, False, False, False),
    (Failure.STATUS, 422, False, False, False),
    (Failure.STATUS, 429, True, True, True),
    (Failure.STATUS, 500, False, False, False),
    (Failure.STATUS, 501, False, False, False),
    (Failure.STATUS, 502, True, False, False),
    (Failure.STATUS, 503, True, True, True),
    (Failure.STATUS, 504, True, False, False),
]


def _cases() -> Iterator[tuple[RequestKind, Failure, int | None, bool]]:
    for failure, status, read, write, completion in DECISIONS:
        yield R, failure, status, read
        yield W, failure, status, write
        yield C, failure, status, completion


CASES = list(_cases())
RETRIED = [(k, f, s) for k, f, s, expected in CASES if expected]


@pytest.mark.parametrize(("kind", "failure", "status", "expected"), CASES)
def test_first_failure_is_retried_exactly_per_contract(
    kind: RequestKind, failure: Failure, status: int | None, expected: bool
) -> None:
    assert should_retry(kind, failure, status, attempt=1, max_retries=2) is expected


@pytest.mark.parametrize(("kind", "failure", "status"), RETRIED)
@pytest.mark.parametrize(
    ("attempt", "max_retries", "expected"),
    [(1, 0, False), (1, 1, True), (2, 1, False), (2, 2, True), (3, 2, False), (3, 3, True), (9, 3, False)],
)
def test_retries_stop_after_max_retries(
    kind: RequestKind, failure: Failure, status: int | None, attempt: int, max_retries: int, expected: bool
) -> None:
    # attempt counts the tries that failed, so max_retries=N allows N+1 requests in all
    assert should_retry(kind, failure, status, attempt, max_retries) is expected


def test_the_table_covers_every_kind_and_failure() -> None:
    assert {k for k, *_ in CASES} == set(RequestKind)
    assert {f for _, f, *_ in CASES} == set(Failure)


# ---- Retry-After ------------------------------------------------------------------------------

NOW = 1_445_412_480.0  # Wed, 21 Oct 2015 07:28:00 GMT


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("12", 12.0),
        ("0", 0.0),
        ("  7 ", 7.0),
        ("1.5", 1.5),
        ("0.25", 0.25),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:30:00 GMT", 120.0),
        ("Wed, 21 Oct 2015 07:28:30 +0000", 30.0),
        ("Wed, 21 Oct 2015 15:28:30 +0800", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # a date in the past: go now
    ],
)
def test_parse_retry_after_reads_seconds_and_dates(header: str, expected: float) -> None:
    assert parse_retry_after(header, now=NOW) == pytest.approx(expected)


@pytest.mark.parametrize(
    "header",
    [None, "", "   ", "soon", "12 seconds", "-5", "-0.5", "nan", "inf", "-inf", "1e3", "0x10", "1_000", "+5"],
)
def test_parse_retry_after_rejects_what_is_not_a_delay(header: str | None) -> None:
    # None means "no usable hint": the caller falls back to its own backoff
    assert parse_retry_after(header, now=NOW) is None


def test_parse_retry_after_dates_without_a_zone_are_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    # RFC 5322's "-0000" means UTC with no zone information; it must not be read as local time
    if not hasattr(time, "tzset"):
        pytest.skip("needs time.tzset")
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    try:
        assert parse_retry_after("Wed, 21 Oct 2015 07:28:30 -0000", now=NOW) == pytest.approx(30.0)
    finally:
        monkeypatch.undo()
        time.tzset()


def test_parse_retry_after_uses_the_clock_without_now() -> None:
    in_a_minute = email.utils.formatdate(time.time() + 60, usegmt=True)
    delay = parse_retry_after(in_a_minute)
    assert delay is not None
    assert 55.0 <= delay <= 60.0


# ---- backoff ----------------------------------------------------------------------------------


def test_backoff_grows_exponentially_then_caps() -> None:
    policy = RetryPolicy(initial_delay=0.5, max_delay=8.0)
    delays = [backoff_delay(attempt, None, jitter=0.0, policy=policy) for attempt in range(1, 9)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]


def test_backoff_default_policy_starts_small_and_stays_bounded() -> None:
    assert 0 < backoff_delay(1, None, 0.0) <= 1.0
    assert backoff_delay(50, None, 0.0) == RetryPolicy().max_delay


@pytest.mark.parametrize("attempt", [1, 2, 3, 6])
@pytest.mark.parametrize("jitter", [0.0, 0.1, 0.5, 0.9, 0.999999])
def test_backoff_jitter_stays_within_a_quarter_below_the_base(attempt: int, jitter: float) -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=4.0)
    base = backoff_delay(attempt, None, 0.0, policy)
    delay = backoff_delay(attempt, None, jitter, policy)
    assert 0.75 * base < delay <= base


def test_backoff_jitter_spreads_the_delays() -> None:
    delays = {backoff_delay(3, None, j / 10) for j in range(10)}
    assert len(delays) == 10


def test_retry_after_wins_over_the_backoff() -> None:
    assert backoff_delay(1, 3.0, jitter=0.7) == 3.0
    assert backoff_delay(5, 0.0, jitter=0.7) == 0.0  # "retry now" is honoured, not backed off
    assert backoff_delay(1, 0.1, jitter=0.0, policy=RetryPolicy(initial_delay=5.0)) == 0.1


def test_retry_after_is_capped() -> None:
    assert backoff_delay(1, 3600.0, 0.0) == RETRY_AFTER_CAP
    assert backoff_delay(1, 90.0, 0.0, RetryPolicy(retry_after_cap=30.0)) == 30.0
    assert backoff_delay(1, 29.0, 0.0, RetryPolicy(retry_after_cap=30.0)) == 29.0
