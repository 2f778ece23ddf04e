"""Errors the CLI reports as one line on stderr, with their exit codes."""

from __future__ import annotations

EXIT_ERROR = 1  # AWS refused or failed, the stack or an app's resources are broken
EXIT_USAGE = 2  # fix the command line or the local setup: arguments, unknown app, credentials, region


class CliError(Exception):
    """A failure with a message for the operator; no traceback is printed."""

    def __init__(self, message: str, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code
