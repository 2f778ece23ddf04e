"""The one place where logging is configured: plain text lines on stderr, which ECS sends to CloudWatch Logs."""

from __future__ import annotations

import logging
import sys

LOG_FORMAT = "%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s"

logger = logging.getLogger(__name__)


def configure_logging(level_name: str) -> None:
    level = logging.getLevelNamesMapping().get(level_name.upper())
    logging.basicConfig(level=level or logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    if level != logging.DEBUG:
        logging.getLogger("botocore").setLevel(logging.WARNING)  # its INFO lines are noise, e.g. "Found credentials"
    if level is None:
        logger.warning(
            "LOG_LEVEL=%r is not a logging level; using INFO (use DEBUG, INFO, WARNING or ERROR)", level_name
        )
