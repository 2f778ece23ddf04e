"""`python -m zerodash_runtime.check [APP_DIR]`: import the app the way the server will and say what it found.

Exit 0 printing what will be served, or exit 2 with one line naming the app, the file and what went wrong.
The image build runs it, so an app that does not import fails the build, not the first wake.
"""

from __future__ import annotations

import argparse
import sys

from zerodash_runtime.data import DataNotReady, datasets
from zerodash_runtime.loader import AppLoadError, load_app, prepare_environment
from zerodash_runtime.settings import RuntimeSettings, SettingsError

EXIT_APP_LOAD = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m zerodash_runtime.check", description=__doc__.splitlines()[0])
    parser.add_argument("app_dir", nargs="?", default=None, help="the app's directory (default: the current one)")
    args = parser.parse_args(argv)
    try:
        settings = RuntimeSettings.from_env()
    except SettingsError as error:
        print(error, file=sys.stderr)
        return EXIT_APP_LOAD
    prepare_environment(settings)
    try:
        loaded = load_app(settings, args.app_dir)
    except AppLoadError as error:
        if isinstance(error.__cause__, DataNotReady):
            # The build has no access to the bucket: an app that reads a dataset while it is imported stops there.
            print(f"app {settings.app_name!r}: imports until it reads data ({error.__cause__}); not checked further")
            return 0
        print(error, file=sys.stderr)
        return EXIT_APP_LOAD
    print(f"app {settings.app_name!r}: {loaded.describe()}, served under {settings.url_prefix}")
    for dataset in datasets():
        print(f"app {settings.app_name!r}: dataset {dataset.key}")
    for warning in loaded.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
