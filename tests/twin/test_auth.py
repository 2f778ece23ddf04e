"""The twin's ALB authentication, each rule against the documentation it rests on (tests/twin/elb.py)."""

from __future__ import annotations

import copy

import pytest
from botocore.exceptions import ClientError

from tests.twin.browser import HTML, Person, Row, Visits
from tests.twin.elb import HttpRequest
from tests.twin.helpers import START, act, get, post
from tests.twin.world import AppSetup, World


def authenticated_world(**setup: object) -> World:
    return World(start=START, apps=(AppSetup(auth="oidc", **setup),), scaler=False)


def described(world: World) -> list[dict]:
    (rule,) = world.elb.describe_rules(RuleArns=[world.apps["dashboard"].rule.arn])["Rules"]
    return rule["Actions"]


def modify(world: World, actions: list[dict]) -> None:
    world.elb.modify_rule(RuleArn=world.apps["dashboard"].rule.arn, Actions=actions)


def resent(world: World) -> list[dict]:
    """The described actions, with the OIDC secret by reference, as a careful client sends them back."""
    actions = copy.deepcopy(described(world))
    actions[0]["AuthenticateOidcConfig"]["UseExistingClientSecret"] = True
    return actions


def test_describe_rules_never_returns_the_client_secret():
    world = authenticated_world()

    login, forward = described(world)

    assert (login["Type"], login["Order"], forward["Type"], forward["Order"]) == ("authenticate-oidc", 1, "forward", 2)
    assert "ClientSecret" not in login["AuthenticateOidcConfig"]
    assert world.apps["dashboard"].rule.actions[0]["AuthenticateOidcConfig"]["ClientSecret"]  # kept by the ALB


def test_modify_rule_without_the_secret_or_use_existing_is_refused():
    world = authenticated_world()

    with pytest.raises(ClientError) as caught:
        modify(world, described(world))

    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_modify_rule_with_use_existing_client_secret_keeps_the_secret():
    world = authenticated_world()
    secret = world.apps["dashboard"].rule.actions[0]["AuthenticateOidcConfig"]["ClientSecret"]

    modify(world, resent(world))

    stored = world.apps["dashboard"].rule.actions[0]["AuthenticateOidcConfig"]
    assert stored["ClientSecret"] == secret and "UseExistingClientSecret" not in stored


def test_a_rule_with_several_actions_needs_an_order_on_each():
    world = authenticated_world()
    actions = resent(world)
    del actions[1]["Order"]

    with pytest.raises(ClientError) as caught:
        modify(world, actions)

    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_the_routing_action_must_be_the_last():
    world = authenticated_world()
    actions = resent(world)
    actions[0]["Order"], actions[1]["Order"] = 2, 1

    with pytest.raises(ClientError) as caught:
        modify(world, actions)

    assert caught.value.response["Error"]["Code"] == "InvalidLoadBalancerAction"


def test_authenticate_actions_are_for_https_listeners_only():
    world = World(start=START, scaler=False)  # HTTP:80, as the http way deploys it
    actions = authenticated_world().apps["dashboard"].template_actions

    with pytest.raises(ClientError) as caught:
        modify(world, actions)

    assert caught.value.response["Error"]["Code"] == "IncompatibleProtocols"


def test_modify_rule_replaces_every_action_so_a_forward_alone_drops_the_login():
    world = authenticated_world()

    modify(world, [{"Type": "forward", "TargetGroupArn": world.apps["dashboard"].waker_group.arn}])
    world.sim.run_for(10)

    assert [action["Type"] for action in described(world)] == ["forward"]
    assert get(world).source == "waker"  # anybody now reaches the target


def test_a_request_without_a_session_is_redirected_to_the_idp_and_reaches_no_target():
    world = authenticated_world()

    page, callback = get(world), post(world, "/_dash-update-component")

    for response in (page, callback):
        assert (response.status, response.source) == (302, "alb")
        assert response.headers["Location"].startswith("https://login.example.com/oauth2/authorize?client_id=")
        assert "redirect_uri=https%3A%2F%2F" in response.headers["Location"]
    assert world.elb.delivered == []
    assert world.apps["dashboard"].waker.invocations == []


def test_deny_answers_401():
    world = authenticated_world(on_unauthenticated="deny")

    response = get(world)

    assert (response.status, response.source) == (401, "alb")
    assert world.elb.delivered == []


def test_a_forged_or_foreign_session_cookie_is_no_session():
    world = authenticated_world()

    response = get(world, cookie="ignored")  # a header, not the session cookie
    forged = act(
        world,
        lambda: world.request(
            HttpRequest("GET", "/", world.host, {"accept": HTML}, cookies={"AWSELBAuthSessionCookie-0": "made-up"})
        ),
    )

    assert response.status == 302 and forged.status == 302
    assert world.elb.delivered == []


@pytest.mark.parametrize("auth", ["oidc", "cognito"])
def test_a_signed_in_person_reaches_the_target_with_their_claims(auth):
    world = World(start=START, apps=(AppSetup(auth=auth),), scaler=False)
    person = Person(world, Visits(), "alice", (), idle_minutes=15, account="alice")

    response = act(world, lambda: person.send(Row(world.sim.time, "alice", "GET", "/", "", HTML), "GET", "/", HTML))

    assert (response.status, response.source) == (200, "waker")
    assert person.visits.sign_ins == 1
    assert [(name, user) for _, name, _, user in world.elb.delivered] == [("dashboard-wkr", "alice")]


def test_a_session_ends_after_its_timeout():
    world = authenticated_world(session_minutes=60)
    person = Person(world, Visits(), "alice", (), idle_minutes=15, account="alice")

    def load() -> int:
        return person.send(Row(world.sim.time, "alice", "GET", "/", "", HTML), "GET", "/", HTML).status

    act(world, load)
    world.sim.run_for(30 * 60)
    act(world, load)
    assert person.visits.sign_ins == 1  # the cookie still holds after 30 min
    world.sim.run_for(31 * 60)
    act(world, load)
    assert person.visits.sign_ins == 2  # past SessionTimeout: sent to the IdP again
