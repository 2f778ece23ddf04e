"""The twin deploys what infra deploys: the app object it writes has the keys infra's app object has."""

from __future__ import annotations

import json

from aws_cdk import App
from aws_cdk.assertions import Template

from infra.app_builder import build, default_environment
from infra.config import load_config
from tests.infra.conftest import cdk_json_context
from tests.twin.helpers import START
from tests.twin.world import World


def test_the_twins_app_object_has_exactly_the_keys_infra_writes():
    app = App(context=cdk_json_context())
    stacks = build(app, load_config(app.node.try_get_context), default_environment())
    parameters = Template.from_stack(stacks.apps[0]).find_resources("AWS::SSM::Parameter")
    (parameter,) = parameters.values()
    text = json.dumps(parameter["Properties"]["Value"])  # Fn::Join of the JSON's literal parts and tokens
    twin = World(start=START, scaler=False).apps["dashboard"].app_object

    keys = [piece.split('\\"')[-1] for piece in text.split('\\":')[:-1]]  # what precedes each `":`

    assert sorted(keys) == sorted(twin)
