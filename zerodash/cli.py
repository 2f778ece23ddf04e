"""Command line: `python -m zerodash [--region R] [--profile P] [--stack-prefix X] status|wake APP|sleep APP`.

Errors are one line on stderr, never a traceback: exit 2 for what the operator fixes locally (arguments,
unknown app, credentials, region), exit 1 for what AWS answered (the AWS error code and message).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError, NoRegionError

from zerodash import actions, deployment, status
from zerodash.errors import EXIT_ERROR, EXIT_USAGE, CliError

PROG = "zerodash"


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
        help="stackPrefix the stacks were deployed with; apps are read from <prefix>-Scaler (default: ZeroDash)",
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
    return parser


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
    session = deployment.open_session(profile=args.profile, region=args.region)
    deployed = deployment.load(session, stack_prefix=args.stack_prefix)
    if args.command == "status":
        return _status(deployed, now, as_json=args.json)
    app = deployed.app(args.app)
    act = actions.wake if args.command == "wake" else actions.sleep
    print("\n".join(act(deployed.clients, app, now).lines(app)))
    return 0


def _status(deployed: deployment.Deployment, now: datetime, *, as_json: bool) -> int:
    lookback = status.lookback_minutes(deployed.apps)
    rows = status.collect(deployed.clients, deployed.apps, now)
    if as_json:
        document = status.as_json(rows, stack=deployed.stack_name, region=deployed.region, now=now, lookback=lookback)
        print(json.dumps(document, indent=2))
    else:
        print(status.as_table(rows, lookback=lookback))
    return EXIT_ERROR if any(row.error for row in rows) else 0


def _fail(message: str, code: int) -> int:
    print(f"{PROG}: error: {message}", file=sys.stderr)
    return code
