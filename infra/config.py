"""The configuration schema, for infra's existing imports: it lives in `zerodash.config` (shared with the CLI and
the scripts). New code imports from there.

`LAMBDAS_DIR` stays here: it is infra's (the root of the Lambda code asset, infra/constructs/lambda_function.py).
"""

from __future__ import annotations

from pathlib import Path

from zerodash.config import (
    APP_NAME_PATTERN,
    APP_PATH_PATTERN,
    BOT_RULES,
    CATCH_ALL_PATH,
    CATCH_ALL_PRIORITY,
    DEFAULT_ALB_RULE_QUOTA,
    DEFAULT_APPS,
    DEFAULT_LAMBDA_CONCURRENCY_QUOTA,
    DEFAULT_PORT,
    DEFAULT_WAKER_CONCURRENCY,
    FARGATE_SIZES,
    FIRST_APP_PRIORITY,
    IMAGE_TAG_PATTERN,
    KEEP_WARM_KEYS,
    LOG_RETENTION_DAYS,
    MAX_TASKS,
    PLATFORM_ENVIRONMENT,
    ROBOTS_RULES,
    SCALER_CONCURRENCY,
    TARGET_GROUPS_PER_ALB,
    UNRESERVED_LAMBDA_CONCURRENCY,
    AppConfig,
    ConfigError,
    KeepWarmConfig,
    ScalingConfig,
    SecretRef,
    ZeroDashConfig,
    check_quotas,
    load_config,
)

LAMBDAS_DIR = Path(__file__).resolve().parents[1] / "lambdas"

__all__ = [
    "APP_NAME_PATTERN",
    "APP_PATH_PATTERN",
    "BOT_RULES",
    "CATCH_ALL_PATH",
    "CATCH_ALL_PRIORITY",
    "DEFAULT_ALB_RULE_QUOTA",
    "DEFAULT_APPS",
    "DEFAULT_LAMBDA_CONCURRENCY_QUOTA",
    "DEFAULT_PORT",
    "DEFAULT_WAKER_CONCURRENCY",
    "FARGATE_SIZES",
    "FIRST_APP_PRIORITY",
    "IMAGE_TAG_PATTERN",
    "KEEP_WARM_KEYS",
    "LAMBDAS_DIR",
    "LOG_RETENTION_DAYS",
    "MAX_TASKS",
    "PLATFORM_ENVIRONMENT",
    "ROBOTS_RULES",
    "SCALER_CONCURRENCY",
    "TARGET_GROUPS_PER_ALB",
    "UNRESERVED_LAMBDA_CONCURRENCY",
    "AppConfig",
    "ConfigError",
    "KeepWarmConfig",
    "ScalingConfig",
    "SecretRef",
    "ZeroDashConfig",
    "check_quotas",
    "load_config",
]
