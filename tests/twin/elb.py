"""Elastic Load Balancing (ALB) in the twin: target groups, target health, listener rules, and routing.

Each rule cites the documentation it rests on (research notes: tests/twin/README.md).

In use. "Health checks are performed on all targets registered to a target group that is specified in a
listener rule for your load balancer" and "After you specify a target group in a rule for a listener, the
load balancer continually monitors the health of all targets registered with the target group"
(load-balancer-target-groups). A group no rule or default action forwards to is not in use: its targets
are `unused` with "Target.NotInUse - The target group is not used by any load balancer" (TargetHealth)
and are never health-checked. A forward with weight 0 still names the group (the ELB docs say nothing of
weight 0; AWS Support describes CodeDeploy keeping a 0% rule so the group passes health checks). ZeroDash
does not rely on it: a keeper rule on an unreachable listener names the service's group.

Health. States initial (Elb.RegistrationInProgress, Elb.InitialHealthChecking "still sending the target
the minimum number of health checks required"), healthy, unhealthy, unused, draining. "The load balancer
sends a health check request to each registered target every HealthCheckIntervalSeconds ... When the
health checks exceed HealthyThresholdCount consecutive successes, the load balancer puts the target back
in service" and UnhealthyThresholdCount consecutive failures take it out (target-group-health-checks).
For a target that was just registered the same page says "After your target is registered, it must pass
one health check to be considered healthy": the twin takes `HealthCheck.new_target_passes` passes (1, as
that sentence says; set 2 to read the threshold as applying to new targets too, 5 s more per wake). The
first check falls at a random point of the first interval after registration (ASSUMPTION: ELB does not
say when it starts).

Routing. "Each load balancer node routes requests only to the healthy targets"; "If a target group
contains only unhealthy registered targets, the load balancer routes requests to all those targets,
regardless of their health status" (fail-open); "HTTP 503: Service unavailable - The target groups for
the load balancer have no registered targets" (troubleshooting; a group with only initial or draining
targets gets 503 too, ASSUMPTION). "The load balancer stops sending requests to targets that are
deregistering." Rule changes reach routing after Timings.rule_propagation (ASSUMPTION, undocumented).
Host conditions: "The comparison is case insensitive"; * and ? wildcards (HostHeaderConditionConfig); the
port in a Host header is ignored (ASSUMPTION). Path patterns are case-sensitive globs.

Lambda targets. A function error, timeout or throttle, or an invalid response, is answered 502
(lambda-functions / troubleshooting). RequestCount "is only incremented for requests where the load
balancer node was able to choose a target"; the twin counts requests to the Lambda group too (the docs
exclude Lambda only from RequestCountPerTarget).

Authentication (listener-authenticate-users; API reference: Action, AuthenticateOidcActionConfig,
AuthenticateCognitoActionConfig, ModifyRule). authenticate-oidc and authenticate-cognito are "[HTTPS
listeners]" actions. "Each rule must include exactly one of the following types of actions: forward,
fixed-response, or redirect, and it must be the last action to be performed"; Order "is required for rules
with multiple actions. The action with the lowest value for order is performed first" (1-50000). ModifyRule
"Replaces the specified properties of the specified rule ... To add an item to a list, remove an item from a
list, or update an item in a list, you must provide the entire list": the actions sent are the rule's actions
afterwards. ClientSecret "is required if you are creating a rule. If you are modifying a rule, you can omit
this parameter if you set UseExistingClientSecret to true"; DescribeRules never returns it. A request without
a valid session cookie (SessionCookieName, default AWSELBAuthSessionCookie; the load balancer shards it as
-0, -1, ...) meets OnUnauthenticatedRequest: "deny - Return an HTTP 401 Unauthorized error", "allow - Allow
the request to be forwarded to the target", "authenticate - Redirect the request to the IdP authorization
endpoint. This is the default value" (302, never reaching the target). After a sign-in at the IdP the load
balancer sets the session cookie, valid for SessionTimeout seconds ("The default is 604800 seconds (7
days)"), and sends the user's claims to the target in the X-Amzn-Oidc-* headers. ASSUMPTIONS: the error
codes of invalid actions (AWS documents InvalidLoadBalancerAction "The requested action is not valid",
IncompatibleProtocols "The specified configuration is not valid with this protocol" and the common
ValidationError, not which check raises which); that every method, not only GET, is redirected (the docs
make no difference); UseExistingClientSecret keeps the secret of the rule's current OIDC action.

Stickiness. Duration-based stickiness routes by the AWSALB cookie; "if it refers to a target that was
deregistered or is unhealthy, the load balancer selects a new target and updates the cookie"
(sticky-sessions).
"""

from __future__ import annotations

import copy
import fnmatch
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.twin.api import Api
from tests.twin.errors import client_error

if TYPE_CHECKING:
    from tests.twin.ecs import Task
    from tests.twin.lambdas import LambdaFunction
    from tests.twin.world import World

_ids = itertools.count(1)
ACCOUNT = "123456789012"
REGION = "us-east-1"
ROUTING_TYPES = ("forward", "redirect", "fixed-response")
AUTHENTICATE_TYPES = ("authenticate-oidc", "authenticate-cognito")
ACTION_TYPES = (*ROUTING_TYPES, *AUTHENTICATE_TYPES)
DEFAULT_SESSION_COOKIE = "AWSELBAuthSessionCookie"
DEFAULT_SESSION_TIMEOUT = 604800
OIDC_REQUIRED = ("Issuer", "AuthorizationEndpoint", "TokenEndpoint", "UserInfoEndpoint", "ClientId")
COGNITO_REQUIRED = ("UserPoolArn", "UserPoolClientId", "UserPoolDomain")


def _hex(width: int = 16) -> str:
    return f"{next(_ids):0{width}x}"


@dataclass(frozen=True)
class HealthCheck:
    path: str
    interval: float = 5.0
    timeout: float = 4.0
    healthy_threshold: int = 2
    unhealthy_threshold: int = 3
    new_target_passes: int = 1


@dataclass(eq=False)
class Target:
    task: Task
    ip: str
    port: int
    registered_at: float
    deregistered_at: float | None = None
    # Health, advanced lazily up to `checked_until`.
    state: str = "initial"
    reason: str = "Elb.RegistrationInProgress"
    passes: int = 0
    fails: int = 0
    next_probe: float | None = None
    healthy_at: float | None = None  # the check that first made it healthy (for the wake-time budget)


@dataclass(eq=False)
class TargetGroup:
    arn: str
    name: str
    kind: str  # "ip" or "lambda"
    health: HealthCheck | None = None
    deregistration_delay: float = 300.0
    stickiness: bool = False
    targets: list[Target] = field(default_factory=list)
    function: LambdaFunction | None = None
    in_use_since: float | None = None
    # For policies other than ZeroDash's (bench/simulate.py): called when a request finds no target.
    on_unserved: Callable[[], None] | None = None
    unserved: list[float] = field(default_factory=list)

    def unserved_since(self, moment: float) -> bool:
        return any(when >= moment for when in self.unserved)

    @property
    def full_name(self) -> str:
        return self.arn.split(":")[-1]


@dataclass(eq=False)
class Rule:
    arn: str
    listener: Listener
    priority: int
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    # (effective time, actions) in time order: what routing uses at a moment.
    routing: list[tuple[float, list[dict[str, Any]]]] = field(default_factory=list)

    def routing_at(self, moment: float) -> list[dict[str, Any]]:
        current = self.routing[0][1]
        passed = 0
        for effective, actions in self.routing:
            if effective <= moment:
                current, passed = actions, passed + 1
            else:
                break
        if passed > 1:  # what is older than the change in force will never route again
            del self.routing[: passed - 1]
        return current


@dataclass(eq=False)
class Listener:
    arn: str
    port: int
    default_actions: list[dict[str, Any]]
    rules: list[Rule] = field(default_factory=list)
    protocol: str = "HTTP"


@dataclass(frozen=True)
class Session:
    """An authenticated session the load balancer issued after a sign-in at the IdP."""

    id: str
    client_id: str  # the OIDC ClientId or Cognito UserPoolClientId it was issued for
    user: str
    expires_at: float


@dataclass(eq=False)
class LoadBalancer:
    arn: str
    name: str
    dns_name: str
    listeners: list[Listener] = field(default_factory=list)

    @property
    def full_name(self) -> str:
        return self.arn.split(":loadbalancer/")[-1]


@dataclass
class HttpRequest:
    method: str
    path: str
    host: str
    headers: dict[str, str] = field(default_factory=dict)  # lowercase names
    cookies: dict[str, str] = field(default_factory=dict)
    body: str = ""
    port: int | None = None  # None: the load balancer's public listener (World.request fills it in)


@dataclass
class HttpResponse:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    source: str = "alb"  # "app", "waker" (a Lambda target's answer), or "alb" (the load balancer itself)
    set_cookies: dict[str, str] = field(default_factory=dict)


class Elb(Api):
    """The load balancer model and its API (describe_rules, modify_rule, describe_target_health)."""

    service = "elbv2"

    def __init__(self, world: World, *, rule_quota: int = 100) -> None:
        super().__init__(world)
        self.rule_quota = rule_quota  # "Rules per Application Load Balancer (excluding default rules) 100", adjustable
        self.load_balancer: LoadBalancer | None = None
        self.target_groups: dict[str, TargetGroup] = {}
        self.rules: dict[str, Rule] = {}
        self.sessions: dict[str, Session] = {}
        self.unauthenticated: list[tuple[float, str, int]] = []  # (time, path, status) stopped by a login
        # Every request a target received: (time, target group name, path, the signed-in user or None).
        self.delivered: list[tuple[float, str, str, str | None]] = []

    # Set-up (what CloudFormation creates) -------------------------------------------------------------

    def create_load_balancer(self, name: str) -> LoadBalancer:
        arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{name}/{_hex()}"
        self.load_balancer = LoadBalancer(arn=arn, name=name, dns_name=f"{name}-1234567890.{REGION}.elb.amazonaws.com")
        return self.load_balancer

    def create_listener(self, port: int, default_actions: list[dict[str, Any]], *, protocol: str = "HTTP") -> Listener:
        assert self.load_balancer is not None
        suffix = self.load_balancer.full_name
        listener = Listener(
            arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/{suffix}/{_hex()}",
            port=port,
            default_actions=default_actions,
            protocol=protocol,
        )
        self.load_balancer.listeners.append(listener)
        self._refresh_use()
        return listener

    def create_target_group(self, name: str, kind: str, **settings: Any) -> TargetGroup:
        arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/{name}/{_hex()}"
        group = TargetGroup(arn=arn, name=name, kind=kind, **settings)
        if len(self.target_groups) >= 100:
            raise ValueError("Target Groups per Application Load Balancer: 100 (load-balancer-limits)")
        self.target_groups[arn] = group
        return group

    def create_rule(
        self, listener: Listener, priority: int, conditions: list[dict[str, Any]], actions: list[dict[str, Any]]
    ) -> Rule:
        if any(rule.priority == priority for rule in listener.rules):
            raise client_error("PriorityInUse", f"priority {priority} is in use", "CreateRule")
        if sum(len(item.rules) for item in self.load_balancer.listeners) >= self.rule_quota:  # type: ignore[union-attr]
            raise ValueError(f"Rules per Application Load Balancer (excluding default rules): {self.rule_quota}")
        actions = _checked(listener, actions, current=None, operation="CreateRule")
        arn = listener.arn.replace(":listener/", ":listener-rule/") + f"/{_hex()}"
        rule = Rule(arn=arn, listener=listener, priority=priority, conditions=conditions, actions=actions)
        rule.routing.append((self.sim.time, actions))
        listener.rules.append(rule)
        listener.rules.sort(key=lambda item: item.priority)
        self.rules[arn] = rule
        self._refresh_use()
        return rule

    def deploy_rule(self, rule: Rule, actions: list[dict[str, Any]]) -> None:
        """A rule's actions as a deploy writes them from the template (secrets included): in force at once."""
        actions = _checked(rule.listener, actions, current=None, operation="ModifyRule")
        rule.actions = actions
        rule.routing = [(self.sim.time, actions)]
        self._refresh_use()

    # API ----------------------------------------------------------------------------------------------

    def describe_rules(self, RuleArns: list[str]) -> dict[str, Any]:
        self._call("DescribeRules", describe=True)
        missing = [arn for arn in RuleArns if arn not in self.rules]
        if missing:
            raise client_error("RuleNotFound", f"One or more rules not found: {missing[0]}", "DescribeRules")
        return {
            "Rules": [
                {
                    "RuleArn": arn,
                    "Priority": str(self.rules[arn].priority),
                    "Actions": _described(self.rules[arn].actions),
                }
                for arn in RuleArns
            ]
        }

    def modify_rule(self, RuleArn: str, Actions: list[dict[str, Any]]) -> dict[str, Any]:
        self._call("ModifyRule")
        rule = self.rules.get(RuleArn)
        if rule is None:
            raise client_error("RuleNotFound", "One or more rules not found", "ModifyRule")
        actions = _checked(rule.listener, Actions, current=rule.actions, operation="ModifyRule")
        for action in actions:
            for arn in _forwarded(action):
                if arn not in self.target_groups:
                    raise client_error("TargetGroupNotFound", f"Target group '{arn}' not found", "ModifyRule")
        rule.actions = actions
        last = rule.routing[-1][0]
        effective = max(self.sim.time + self.sim.uniform(*self.world.timings.rule_propagation), last)
        rule.routing.append((effective, rule.actions))
        self._refresh_use()
        self.world.log_event("rule", rule=RuleArn, actions=copy.deepcopy(rule.actions), sent=copy.deepcopy(Actions))
        return {"Rules": [{"RuleArn": RuleArn, "Actions": _described(rule.actions)}]}

    # Authentication ----------------------------------------------------------------------------------

    def sign_in(self, location: str, user: str) -> dict[str, str]:
        """`user` signs in at the IdP that `location` (a 302 of an authenticate action) sent them to; the IdP
        sends them back to /oauth2/idpresponse and the load balancer sets its session cookie. The cookies."""
        query = parse_qs(urlsplit(location).query)
        client_id = query["client_id"][0]
        config = self._auth_config(client_id)
        session = Session(
            id=f"session-{_hex(8)}",
            client_id=client_id,
            user=user,
            expires_at=self.sim.time + int(config.get("SessionTimeout", DEFAULT_SESSION_TIMEOUT)),
        )
        self.sessions[session.id] = session
        return {_session_cookie(config): session.id}

    def _auth_config(self, client_id: str) -> dict[str, Any]:
        for rule in self.rules.values():
            for action in rule.actions:
                config = _auth_config_of(action)
                if config is not None and _client_of(action) == client_id:
                    return config
        raise ValueError(f"no authenticate action has the client {client_id}")

    def _authenticate(self, action: dict[str, Any], request: HttpRequest) -> HttpRequest | HttpResponse:
        """The request with the user's claims, or the load balancer's answer to a request without a session."""
        config = _auth_config_of(action) or {}
        session = self.sessions.get(request.cookies.get(_session_cookie(config), ""))
        if session is not None and session.client_id == _client_of(action) and self.sim.time < session.expires_at:
            claims = {
                "x-amzn-oidc-identity": session.user,
                "x-amzn-oidc-data": f"twin-signed-claims.{session.user}",
                "x-amzn-oidc-accesstoken": f"twin-access-token.{session.id}",
            }
            return replace(request, headers={**request.headers, **claims})
        behaviour = config.get("OnUnauthenticatedRequest", "authenticate")
        if behaviour == "allow":
            return request
        status = 401 if behaviour == "deny" else 302
        self.unauthenticated.append((self.sim.time, request.path, status))
        if status == 401:
            return HttpResponse(status=401, body="401 Authorization Required")
        return HttpResponse(status=302, headers={"Location": self._authorization_url(action, request)})

    @staticmethod
    def _authorization_url(action: dict[str, Any], request: HttpRequest) -> str:
        config = _auth_config_of(action) or {}
        if action["Type"] == "authenticate-oidc":
            endpoint = config["AuthorizationEndpoint"]
        else:
            domain = config["UserPoolDomain"]
            endpoint = (
                f"https://{domain if '.' in domain else f'{domain}.auth.{REGION}.amazoncognito.com'}/oauth2/authorize"
            )
        query = {
            "client_id": _client_of(action),
            "redirect_uri": f"https://{request.host}/oauth2/idpresponse",
            "response_type": "code",
            "scope": config.get("Scope", "openid"),
            "state": _hex(8),
        }
        return f"{endpoint}?{urlencode(query)}"

    def describe_target_health(self, TargetGroupArn: str) -> dict[str, Any]:
        self._call("DescribeTargetHealth", describe=True)
        group = self.target_groups.get(TargetGroupArn)
        if group is None:
            raise client_error("TargetGroupNotFound", "One or more target groups not found", "DescribeTargetHealth")
        descriptions = []
        for target in self.live_targets(group):
            state, reason = self.health_of(group, target)
            health: dict[str, Any] = {"State": state}
            if reason:
                health["Reason"] = reason
            descriptions.append({"Target": {"Id": target.ip, "Port": target.port}, "TargetHealth": health})
        return {"TargetHealthDescriptions": descriptions}

    # Targets and health -------------------------------------------------------------------------------

    def register(self, group: TargetGroup, task: Task, ip: str, port: int) -> Target:
        target = Target(task=task, ip=ip, port=port, registered_at=self.sim.time)
        group.targets.append(target)
        return target

    def deregister(self, group: TargetGroup, target: Target) -> None:
        """Draining for the group's deregistration delay, then gone (the task is told to stop then)."""
        self._advance(group, target, self.sim.time)
        target.deregistered_at = self.sim.time

    def live_targets(self, group: TargetGroup) -> list[Target]:
        now = self.sim.time
        group.targets = [
            target
            for target in group.targets
            if target.deregistered_at is None or now < target.deregistered_at + group.deregistration_delay
        ]
        return group.targets

    def health_of(self, group: TargetGroup, target: Target) -> tuple[str, str | None]:
        now = self.sim.time
        if target.deregistered_at is not None:
            return "draining", "Target.DeregistrationInProgress"
        if group.in_use_since is None:
            return "unused", "Target.NotInUse"
        self._advance(group, target, now)
        return target.state, None if target.state == "healthy" else target.reason

    def _advance(self, group: TargetGroup, target: Target, now: float) -> None:
        """Run the health checks that fell due up to `now` (in bulk while their outcome cannot change)."""
        check = group.health
        if check is None or group.in_use_since is None or target.deregistered_at is not None:
            return
        if target.next_probe is None:
            start = max(target.registered_at, group.in_use_since)
            target.next_probe = start + self.sim.rng.uniform(0, check.interval)
            target.state, target.reason = "initial", "Elb.InitialHealthChecking"
        while target.next_probe <= now:
            probe = target.next_probe
            passes = target.task.answers_health(probe)
            stable_until = min(now, target.task.health_stable_until(probe))
            count = 1 + int(max(0.0, stable_until - probe) // check.interval)
            self._record(target, check, probe, passes, count)
            target.next_probe = probe + count * check.interval

    @staticmethod
    def _record(target: Target, check: HealthCheck, probe: float, passed: bool, count: int) -> None:
        if passed:
            needed = check.new_target_passes if target.state == "initial" else check.healthy_threshold
            if target.state != "healthy" and target.passes + count >= needed:
                target.state, target.reason = "healthy", ""
                if target.healthy_at is None:
                    target.healthy_at = probe + (needed - target.passes - 1) * check.interval
            target.passes, target.fails = target.passes + count, 0
        else:
            target.fails, target.passes = target.fails + count, 0
            if target.state != "unhealthy" and target.fails >= check.unhealthy_threshold:
                target.state, target.reason = "unhealthy", "Target.FailedHealthChecks"

    def _refresh_use(self) -> None:
        """A group is in use while any rule or default action of the load balancer names it."""
        named: set[str] = set()
        for listener in self.load_balancer.listeners if self.load_balancer else []:
            for action in listener.default_actions:
                named.update(_forwarded(action))
            for rule in listener.rules:
                for action in rule.actions:
                    named.update(_forwarded(action))
        for arn, group in self.target_groups.items():
            if arn in named and group.in_use_since is None:
                group.in_use_since = self.sim.time
                for target in group.targets:  # health checking starts (again) from scratch
                    target.next_probe, target.passes, target.fails = None, 0, 0
            elif arn not in named and group.in_use_since is not None:
                group.in_use_since = None
                for target in group.targets:
                    target.state, target.reason, target.next_probe = "unused", "Target.NotInUse", None

    # Routing ------------------------------------------------------------------------------------------

    def route(self, request: HttpRequest) -> HttpResponse:
        """What the load balancer answers `request` (called from a browser actor)."""
        assert self.load_balancer is not None
        listener = next((item for item in self.load_balancer.listeners if item.port == request.port), None)
        if listener is None:
            return HttpResponse(status=0, body="connection refused (no listener, or the security group)")
        now = self.sim.time
        actions = listener.default_actions
        for rule in listener.rules:
            if _matches(rule.conditions, request):
                actions = rule.routing_at(now)
                break
        actions = _in_order(actions)
        for step in actions[:-1]:
            if step["Type"] in AUTHENTICATE_TYPES:
                outcome = self._authenticate(step, request)
                if isinstance(outcome, HttpResponse):
                    return outcome  # never reaches a target
                request = outcome
        action = actions[-1]
        if action["Type"] == "fixed-response":
            config = action["FixedResponseConfig"]
            return HttpResponse(status=int(config["StatusCode"]), body=config.get("MessageBody", ""))
        group = self.target_groups[self._pick_group(action)]
        self.delivered.append((now, group.name, request.path, request.headers.get("x-amzn-oidc-identity")))
        if group.kind == "lambda":
            return self._invoke(group, request)
        return self._to_targets(group, request)

    def _pick_group(self, action: dict[str, Any]) -> str:
        groups = action.get("ForwardConfig", {}).get("TargetGroups")
        if not groups:
            return action["TargetGroupArn"]
        weights = [int(group.get("Weight", 1)) for group in groups]
        return self.sim.rng.choices([group["TargetGroupArn"] for group in groups], weights=weights)[0]

    def _count(self, group: TargetGroup) -> None:
        assert self.load_balancer is not None
        self.world.cloudwatch.count(
            "AWS/ApplicationELB",
            "RequestCount",
            {"LoadBalancer": self.load_balancer.full_name, "TargetGroup": group.full_name},
            self.sim.time,
        )

    def _to_targets(self, group: TargetGroup, request: HttpRequest) -> HttpResponse:
        targets = [target for target in self.live_targets(group) if target.deregistered_at is None]
        states = {id(target): self.health_of(group, target)[0] for target in targets}
        healthy = [target for target in targets if states[id(target)] == "healthy"]
        if not healthy:
            healthy = [target for target in targets if states[id(target)] == "unhealthy"]  # fail open
        if not healthy:
            if group.on_unserved is not None:
                group.unserved.append(self.sim.time)
                group.on_unserved()
            return HttpResponse(status=503, body="503 Service Temporarily Unavailable")
        sticky = request.cookies.get("AWSALB")
        chosen = next((target for target in healthy if target.ip == sticky), None) if group.stickiness else None
        chosen = chosen or self.sim.rng.choice(healthy)
        self._count(group)
        response = chosen.task.serve(request, self.sim.time)
        if group.stickiness:
            response.set_cookies["AWSALB"] = chosen.ip
        return response

    def _invoke(self, group: TargetGroup, request: HttpRequest) -> HttpResponse:
        assert group.function is not None
        self._count(group)
        event = {
            "requestContext": {"elb": {"targetGroupArn": group.arn}},
            "httpMethod": request.method,
            "path": request.path,
            "queryStringParameters": {},
            "headers": {
                "host": request.host,
                **request.headers,
                **({"cookie": "; ".join(f"{k}={v}" for k, v in request.cookies.items())} if request.cookies else {}),
            },
            "body": request.body,
            "isBase64Encoded": False,
        }
        outcome, answer = group.function.invoke(event)
        if outcome != "ok" or not _valid_lambda_response(answer):
            return HttpResponse(status=502, body=f"502 Bad Gateway ({outcome})")
        headers = {str(name): str(value) for name, value in (answer.get("headers") or {}).items()}
        return HttpResponse(
            status=int(answer["statusCode"]), headers=headers, body=answer.get("body", ""), source="waker"
        )


def _forwarded(action: dict[str, Any]) -> list[str]:
    if action.get("Type") != "forward":
        return []
    groups = action.get("ForwardConfig", {}).get("TargetGroups") or []
    arns = [group["TargetGroupArn"] for group in groups]
    if action.get("TargetGroupArn"):
        arns.append(action["TargetGroupArn"])
    return arns


def _matches(conditions: list[dict[str, Any]], request: HttpRequest) -> bool:
    for condition in conditions:
        field_name = condition["Field"]
        values = condition.get("Values") or condition.get(_CONFIG_KEYS.get(field_name, ""), {}).get("Values", [])
        if field_name == "path-pattern":
            if not any(fnmatch.fnmatchcase(request.path, pattern) for pattern in values):
                return False
        elif field_name == "host-header":
            host = request.host.split(":", 1)[0].lower()
            if not any(fnmatch.fnmatchcase(host, pattern.lower()) for pattern in values):
                return False
        elif field_name == "http-header":
            config = condition["HttpHeaderConfig"]
            value = request.headers.get(config["HttpHeaderName"].lower(), "").lower()
            if not any(fnmatch.fnmatchcase(value, pattern.lower()) for pattern in config["Values"]):
                return False
        elif field_name == "source-ip":
            return False  # the keeper rule's condition: no request comes from it (see world.py)
        else:
            raise ValueError(f"condition {field_name} is not modelled")
    return True


_CONFIG_KEYS = {"path-pattern": "PathPatternConfig", "host-header": "HostHeaderConfig"}


def _valid_lambda_response(answer: Any) -> bool:
    return isinstance(answer, dict) and isinstance(answer.get("statusCode"), int) and 100 <= answer["statusCode"] < 600


# Actions ---------------------------------------------------------------------------------------------------


def _in_order(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """ "The action with the lowest value for order is performed first" (Action)."""
    return sorted(actions, key=lambda action: int(action.get("Order", 0)))


def _auth_config_of(action: dict[str, Any]) -> dict[str, Any] | None:
    if action.get("Type") == "authenticate-oidc":
        return action.get("AuthenticateOidcConfig") or {}
    if action.get("Type") == "authenticate-cognito":
        return action.get("AuthenticateCognitoConfig") or {}
    return None


def _client_of(action: dict[str, Any]) -> str:
    config = _auth_config_of(action) or {}
    return str(config.get("ClientId") or config.get("UserPoolClientId") or "")


def _session_cookie(config: dict[str, Any]) -> str:
    return f"{config.get('SessionCookieName', DEFAULT_SESSION_COOKIE)}-0"


def _described(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Actions as DescribeRules returns them: never an OIDC client secret."""
    described = copy.deepcopy(actions)
    for action in described:
        config = action.get("AuthenticateOidcConfig")
        if config is not None:
            config.pop("ClientSecret", None)
            config.pop("UseExistingClientSecret", None)
    return described


def _checked(
    listener: Listener, actions: list[dict[str, Any]], *, current: list[dict[str, Any]] | None, operation: str
) -> list[dict[str, Any]]:
    """Validate `actions` as CreateRule (`current` None) or ModifyRule does; the actions as stored (an OIDC
    action that uses the existing secret gets the rule's current one)."""

    def refuse(code: str, message: str) -> Exception:
        return client_error(code, message, operation)

    if not actions:
        raise refuse("ValidationError", "A rule must have at least one action")
    actions = copy.deepcopy(list(actions))
    for action in actions:
        if action.get("Type") not in ACTION_TYPES:
            raise refuse("ValidationError", f"Action type '{action.get('Type')}' is not valid")
    if len(actions) > 1:
        if any("Order" not in action for action in actions):
            raise refuse("ValidationError", "An action order must be specified when a rule has multiple actions")
        orders = [int(action["Order"]) for action in actions]
        if any(not 1 <= order <= 50000 for order in orders):
            raise refuse("ValidationError", "Action order must be between 1 and 50000")
        if len(set(orders)) != len(orders):
            raise refuse("InvalidLoadBalancerAction", "Action orders must be unique")
    ordered = _in_order(actions)
    routing = [action for action in ordered if action["Type"] in ROUTING_TYPES]
    if len(routing) != 1 or ordered[-1]["Type"] not in ROUTING_TYPES:
        raise refuse(
            "InvalidLoadBalancerAction",
            "A rule must have exactly one forward, redirect or fixed-response action, and it must be the last",
        )
    for action in ordered[:-1]:
        if listener.protocol != "HTTPS":
            raise refuse("IncompatibleProtocols", f"'{action['Type']}' actions are only valid on HTTPS listeners")
        _check_authenticate(action, current, refuse)
    return actions


def _check_authenticate(
    action: dict[str, Any], current: list[dict[str, Any]] | None, refuse: Callable[[str, str], Exception]
) -> None:
    config = _auth_config_of(action) or {}
    required = OIDC_REQUIRED if action["Type"] == "authenticate-oidc" else COGNITO_REQUIRED
    missing = [key for key in required if not config.get(key)]
    if missing:
        raise refuse("ValidationError", f"{action['Type']}: {', '.join(missing)} must be specified")
    behaviour = config.get("OnUnauthenticatedRequest", "authenticate")
    if behaviour not in ("deny", "allow", "authenticate"):
        raise refuse("ValidationError", f"OnUnauthenticatedRequest '{behaviour}' is not valid")
    if action["Type"] != "authenticate-oidc":
        return
    use_existing = config.pop("UseExistingClientSecret", False)
    if config.get("ClientSecret"):
        return
    existing = next(
        (
            (item.get("AuthenticateOidcConfig") or {}).get("ClientSecret")
            for item in current or []
            if item.get("Type") == "authenticate-oidc"
        ),
        None,
    )
    if not use_existing or current is None:
        raise refuse(
            "ValidationError",
            "A client secret must be specified when creating a rule, or UseExistingClientSecret set to true",
        )
    if not existing:
        raise refuse("ValidationError", "The rule has no existing client secret to use")
    config["ClientSecret"] = existing
