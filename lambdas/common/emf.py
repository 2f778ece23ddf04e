"""Structured log lines that double as CloudWatch metrics (embedded metric format, no API calls).

A line printed to stdout with an `_aws.CloudWatchMetrics` block becomes metrics in CloudWatch; its other
keys stay searchable log fields. Lines without metrics are plain JSON log lines.
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

NAMESPACE = "ZeroDash"
UNITS = {"ColdStarts": "Count", "WakeSeconds": "Seconds", "WakeRequests": "Count", "WakeFailures": "Count"}


def log_record(
    app: str, now: datetime, fields: Mapping[str, Any], metrics: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """One JSON object for one app: the fields, plus the metrics (dimension App) if there are any."""
    record: dict[str, Any] = {"app": app, **fields}
    metrics = {name: value for name, value in (metrics or {}).items() if value is not None}
    if metrics:
        record["_aws"] = {
            "Timestamp": int(now.timestamp() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["App"]],
                    "Metrics": [{"Name": name, "Unit": UNITS.get(name, "None")} for name in metrics],
                }
            ],
        }
        record["App"] = app
        record.update(metrics)
    return record


def emit(record: Mapping[str, Any]) -> None:
    print(json.dumps(record, default=str, separators=(",", ":")), flush=True)
