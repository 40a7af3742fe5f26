"""The exit status of the command line, by error class.

0 ok, 1 any other failure, 2 usage (a wrong flag or argument), 3 authentication or permission, 4 not
found, 5 a request the SDK or the server refused as invalid (400, 422, a field checked before sending),
6 rate limited, 7 connection or timeout, 8 a server error (5xx, or an answer the SDK cannot read).
Scripts branch on these; `fastgpt-oapi schema` lists them too.
"""

from __future__ import annotations

from enum import IntEnum

from ..core.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestValidationError,
    UnprocessableEntityError,
)

__all__ = ["ExitCode", "exit_code_for"]


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    AUTH = 3
    NOT_FOUND = 4
    INVALID = 5
    RATE_LIMITED = 6
    CONNECTION = 7
    SERVER = 8
    INTERRUPTED = 130  # Ctrl-C, as shells report SIGINT


# Most specific first: the first class the error is an instance of decides.
_BY_CLASS: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (AuthenticationError, ExitCode.AUTH),
    (PermissionDeniedError, ExitCode.AUTH),
    (NotFoundError, ExitCode.NOT_FOUND),
    (RequestValidationError, ExitCode.INVALID),
    (BadRequestError, ExitCode.INVALID),
    (UnprocessableEntityError, ExitCode.INVALID),
    (RateLimitError, ExitCode.RATE_LIMITED),
    (APIConnectionError, ExitCode.CONNECTION),  # APITimeoutError included
    (APIResponseValidationError, ExitCode.SERVER),
)


def exit_code_for(error: BaseException) -> ExitCode:
    for cls, code in _BY_CLASS:
        if isinstance(error, cls):
            return code
    if isinstance(error, APIStatusError) and (error.status_code or 0) >= 500:
        return ExitCode.SERVER
    if isinstance(error, KeyboardInterrupt):
        return ExitCode.INTERRUPTED
    return ExitCode.FAILURE
