#!/usr/bin/env python3
"""CDK entry point: read the configuration from context, build the stacks, nothing else."""

from __future__ import annotations

import sys

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks

from infra.app_builder import build, default_environment
from infra.config import ConfigError, load_config
from zerodash.sources import SourceError


def main() -> None:
    app = cdk.App()
    try:
        config = load_config(app.node.try_get_context)
        # Some limits can only be checked while the stacks are built (an app object's size in SSM). Each app's
        # image tag comes from the configuration (a hash of its source, or the tag its image names): synth needs
        # no AWS account and no -c imageTag.
        build(app, config, default_environment())
    except (ConfigError, SourceError) as error:
        sys.exit(f"Invalid ZeroDash configuration: {error}")
    cdk.Aspects.of(app).add(AwsSolutionsChecks())
    app.synth()


if __name__ == "__main__":
    main()
