"""`fastgpt-oapi check`: does a server FastGPT calls answer as FastGPT expects? (fastgpt_oapi.server)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..app import CliError, UsageError, state_of
from ..exit_codes import ExitCode

if TYPE_CHECKING:
    import httpx

    from ...server import CheckReport
    from ..output import Output

app = typer.Typer(
    help="Check a server FastGPT calls (an API file library, a share-link auth hook) by FastGPT's own rules.",
    no_args_is_help=True,
)


def _report(out: Output, report: CheckReport, what: str, url: str) -> None:
    def text() -> None:
        for problem in report.problems:
            prefix = "FastGPT refuses" if problem.fastgpt_refuses else "contract"
            detail = f" ({problem.detail})" if problem.detail else ""
            out.write(f"{prefix}: {problem.message}{detail} after {problem.request}\n")
        verdict = "ok" if report.ok else f"failed: {len(report.problems)} problem(s)"
        out.write(f"{verdict}: {what} at {url}, {report.requests} requests\n")

    out.result(report, text=text)


def _run(
    check: Callable[[httpx.Client], CheckReport], timeout: float, out: Output, what: str, url: str
) -> None:
    """Runs a check with a client that notes whether any answer came back: none at all, and a network
    error among the problems, means the server was unreachable (exit 7), not that it failed (exit 1)."""
    import httpx

    answered: list[int] = []

    def note(response: httpx.Response) -> None:
        answered.append(response.status_code)

    # The settings the checks use on their own client (FastGPT's axios: follows up to 5 redirects,
    # honours the proxy environment), plus the hook.
    with httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=True,
        max_redirects=5,
        trust_env=True,
        event_hooks={"response": [note]},
    ) as client:
        report = check(client)
    if not report.ok and not answered:
        network = [p for p in report.problems if p.message.startswith("Network error")]
        if network:
            raise CliError(
                f"cannot reach {url}: {network[0].detail or network[0].message}",
                ExitCode.CONNECTION,
                kind="connection",
            )
    _report(out, report, what, url)
    if not report.ok:
        raise typer.Exit(ExitCode.FAILURE)


def _url(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"URL: {url!r} must start with http:// or https://")
    return url


@app.command("api-dataset")
def api_dataset(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The server's base URL, as given to FastGPT's API dataset")],
    token: Annotated[
        str | None,
        typer.Option("--token", help="The bearer token FastGPT sends (the dataset's authorization)"),
    ] = None,
    base_path: Annotated[
        str | None, typer.Option("--base-path", help="The folder id the dataset starts from (its basePath)")
    ] = None,
) -> None:
    """Check an API file library ("API 文件库") server: FastGPT's own requests, walking the whole tree.

    Prints each problem with FastGPT's message and the request that showed it (the report as JSON when
    piped). Exit 0 when it passes, 1 when it does not, 7 when the server cannot be reached.
    """
    from ...server import API_DATASET_TIMEOUT, check_api_dataset

    base = _url(url)

    def check(client: Any) -> CheckReport:
        return check_api_dataset(base, token=token, base_path=base_path, http_client=client)

    _run(check, API_DATASET_TIMEOUT, state_of(ctx).out, "API file library", base)


@app.command("share-auth")
def share_auth(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="The hook's base URL, as given to FastGPT's share link")],
    token: Annotated[str, typer.Option("--token", help="A user's token (the share URL's authToken)")],
) -> None:
    """Check a share-link identity hook ("分享链接身份鉴权"): init, start and finish as FastGPT calls them.

    Exit 0 when it passes, 1 when it does not, 7 when the server cannot be reached.
    """
    from ...server import SHARE_AUTH_TIMEOUT, check_share_auth

    base = _url(url)

    def check(client: Any) -> CheckReport:
        return check_share_auth(base, token=token, http_client=client)

    _run(check, SHARE_AUTH_TIMEOUT, state_of(ctx).out, "share-link auth hook", base)
