"""Write plotly's bundled gapminder table as CSV: `python sample_data.py data/gapminder.csv`.

The committed data/gapminder.csv is this command's output; the app's data/ directory is uploaded to the data
bucket on deploy.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

logger = logging.getLogger(__name__)


def write_gapminder_csv(output: Path) -> None:
    import plotly.express as px  # only this tool needs plotly.express; the served app does not import it

    frame = px.data.gapminder()
    output.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(output, index=False, lineterminator="\n")
    logger.info("Wrote %d rows to %s", len(frame), output)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write plotly's gapminder sample data as CSV.")
    parser.add_argument("output", type=Path, help="where to write the CSV, e.g. data/gapminder.csv")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    write_gapminder_csv(args.output)


if __name__ == "__main__":
    main()
