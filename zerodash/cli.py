"""Command line: `python -m zerodash [--region R] [--profile P] [--stack-prefix X] status|wake APP|sleep APP`,
and `python -m zerodash cost [--awake-fraction F] [--wakes-per-awake-hour W] [--context-json JSON | --cdk-out DIR]`
(offline: no AWS calls).

Errors are one line on stderr, never a traceback: exit 2 for what the operator fixes locally (arguments,
unknown app, credentials, region), exit 1 for what AWS answered (the AWS error code and message).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from zerodash import actions, cost, deployment, status
from zerodash.errors import EXIT_ERROR, EXIT_USAGE, CliError

PROG = "zerodash"
REPO_ROOT = Path(__file__).resolve().parents[1]


DEFAULTS = {"region": None, "profile": None, "stack_prefix": "ZeroDash"}


def build_parser() -> argparse.ArgumentParser:
    # The AWS options are accepted before and after the command (`zerodash --region X status` or
    # `zerodash status --region X`); SUPPRESS keeps a subcommand from resetting a value given before it.
    aws = argparse.ArgumentParser(add_help=False)
    aws.add_argument("--region", default=argparse.SUPPRESS, help="AWS region (default: from the AWS configuration)")
    aws.add_argument("--profile", default=argparse.SUPPRESS, help="AWS named profile (default: the default chain)")
    aws.add_argument(
        "--stack-prefix",
        default=argparse.SUPPRESS,
        help="stackPrefix the stacks were deployed with; apps are read from SSM /zerodash/<prefix>/apps/ "
        "(default: ZeroDash)",
    )
    parser = argparse.ArgumentParser(
        prog=PROG,
        parents=[aws],
        description="Operate ZeroDash apps: see which are awake, wake one up or put one to sleep.",
        epilog="Credentials and region come from the standard AWS chain (environment, profile, SSO, role).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    show = commands.add_parser("status", parents=[aws], help="state, tasks, last request and time to sleep per app")
    show.add_argument("--json", action="store_true", help="print JSON instead of a table")
    wake = commands.add_parser("wake", parents=[aws], help="start an app now, as a visitor would")
    wake.add_argument("app", metavar="APP")
    sleep = commands.add_parser("sleep", parents=[aws], help="scale an app to zero now; the next visit wakes it")
    sleep.add_argument("app", metavar="APP")
    estimate = commands.add_parser(
        "cost",
        help="monthly cost at us-east-1 list prices, next to an always-on architecture, and each way in (offline)",
    )
    estimate.add_argument(
        "--awake-fraction", type=_fraction, default=0.1, help="share of the month the apps are awake, 0-1 (default 0.1)"
    )
    estimate.add_argument(
        "--wakes-per-awake-hour",
        type=_non_negative,
        default=cost.WAKES_PER_AWAKE_HOUR,
        help=f"wakes per awake hour, for the wake metrics and waker calls (default {cost.WAKES_PER_AWAKE_HOUR:g})",
    )
    source = estimate.add_mutually_exclusive_group()
    source.add_argument(
        "--context-json", default="{}", help="JSON object of context overrides on cdk.json, as `cdk -c` would set"
    )
    source.add_argument("--cdk-out", type=Path, help="read the templates of an existing cloud assembly instead")
    return parser


def _fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a fraction between 0 and 1")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of 0 or more")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    args = build_parser().parse_args(argv)
    for key, value in DEFAULTS.items():  # not set_defaults: the parent's actions are shared with the subparsers
        if not hasattr(args, key):
            setattr(args, key, value)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args, datetime.now(UTC))
    except CliError as error:
        return _fail(str(error), error.exit_code)
    except NoCredentialsError:
        return _fail(deployment.NO_CREDENTIALS, EXIT_USAGE)
    except NoRegionError:
        return _fail(deployment.NO_REGION, EXIT_USAGE)
    except ClientError as error:
        details = error.response.get("Error", {})
        code, message = details.get("Code", "Unknown"), details.get("Message", str(error))
        return _fail(f"AWS {error.operation_name} failed: {code}: {message}", EXIT_ERROR)
    except BotoCoreError as error:  # endpoint unreachable, expired SSO token, ...
        return _fail(f"AWS call failed: {error}", EXIT_ERROR)


def run(args: argparse.Namespace, now: datetime) -> int:
    if args.command == "cost":
        return _cost(args)
    session = deployment.open_session(profile=args.profile, region=args.region)
    deployed = deployment.load(session, stack_prefix=args.stack_prefix)
    if args.command == "status":
        return _status(deployed, now, as_json=args.json)
    app = deployed.app(args.app)
    act = actions.wake if args.command == "wake" else actions.sleep
    try:
        outcome = act(deployed.clients, app, now)
    except LookupError as error:  # common.aws.read_facts: the app's service or listener rule is gone
        raise CliError(str(error)) from None
    print("\n".join(outcome.lines(app)))
    return 0


def _status(deployed: deployment.Deployment, now: datetime, *, as_json: bool) -> int:
    lookback = status.lookback_minutes(deployed.apps)
    rows = status.collect(deployed.clients, deployed.apps, now, deployed.broken)
    if as_json:
        document = status.as_json(
            rows,
            stack_prefix=deployed.stack_prefix,
            apps_path=deployed.apps_path,
            region=deployed.region,
            now=now,
            lookback=lookback,
        )
        print(json.dumps(document, indent=2))
    else:
        print(status.as_table(rows, lookback=lookback))
    return EXIT_ERROR if any(row.error for row in rows) else 0


def _cost(args: argparse.Namespace) -> int:
    if args.cdk_out is not None:
        templates = _read_templates(args.cdk_out)
    else:
        with tempfile.TemporaryDirectory() as outdir:
            templates = _synthesize(args.context_json, Path(outdir))
    inventory = cost.inventory_from_templates(templates)
    ours = cost.estimate(
        inventory, args.awake_fraction, title="ZeroDash", wakes_per_awake_hour=args.wakes_per_awake_hour
    )
    reference = cost.estimate(cost.ALWAYS_ON_ARTICLE, args.awake_fraction, title="always on (article)")
    print(cost.report(ours, reference))
    print()
    ways = cost.compare_ways_in(inventory, args.awake_fraction, wakes_per_awake_hour=args.wakes_per_awake_hour)
    print(cost.ways_in_table(ways))
    return 0


def _read_templates(outdir: Path) -> dict[str, Any]:
    paths = sorted(outdir.glob("*.template.json"))
    if not paths:
        raise CliError(f"no *.template.json in {outdir}: run `make synth` first, or leave out --cdk-out", EXIT_USAGE)
    return {path.name.removesuffix(".template.json"): json.loads(path.read_text()) for path in paths}


def _synthesize(context_json: str, outdir: Path) -> dict[str, Any]:
    """Synthesize the app in process with cdk.json's context plus `context_json`, as `cdk synth` would."""
    try:
        overrides = json.loads(context_json)
    except json.JSONDecodeError as error:
        raise CliError(f"--context-json is not valid JSON: {error}", EXIT_USAGE) from None
    if not isinstance(overrides, dict):
        raise CliError("--context-json must be a JSON object, e.g. '{\"natGateways\": 1}'", EXIT_USAGE)
    import aws_cdk as cdk  # slow to import (jsii): only for this command

    from infra.app_builder import DEFAULT_REGION, OFFLINE_ACCOUNT, build
    from infra.config import ConfigError, load_config

    context = {**json.loads((REPO_ROOT / "cdk.json").read_text())["context"], **overrides}
    app = cdk.App(outdir=str(outdir), context=context)
    try:
        config = load_config(app.node.try_get_context)
    except ConfigError as error:
        raise CliError(f"invalid configuration: {error}", EXIT_USAGE) from None
    # Offline: the placeholder account whose availability zones cdk.json pins; prices are us-east-1's anyway.
    try:
        build(app, config, cdk.Environment(account=OFFLINE_ACCOUNT, region=DEFAULT_REGION))
        app.synth()
    except Exception as error:  # a bug in infra/ or a jsii error: one line here, `make synth` shows the traceback
        first = (str(error).strip().splitlines() or [""])[0]
        raise CliError(
            f"synthesizing the stacks failed: {type(error).__name__}: {first} (run `make synth` for the details, "
            "or pass --cdk-out)"
        ) from None
    return _read_templates(outdir)


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code
