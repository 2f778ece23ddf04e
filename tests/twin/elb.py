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

Stickiness. Duration-based stickiness routes by the AWSALB cookie; "if it refers to a target that was
deregistered or is unhealthy, the load balancer selects a new target and updates the cookie"
(sticky-sessions).
"""

from __future__ import annotations

import fnmatch
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.twin.api import Api
from tests.twin.errors import client_error

if TYPE_CHECKING:
    from tests.twin.ecs import Task
    from tests.twin.lambdas import LambdaFunction
    from tests.twin.world import World

_ids = itertools.count(1)
ACCOUNT = "123456789012"
REGION = "us-east-1"


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
    port: int = 80


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

    # Set-up (what CloudFormation creates) -------------------------------------------------------------

    def create_load_balancer(self, name: str) -> LoadBalancer:
        arn = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/{name}/{_hex()}"
        self.load_balancer = LoadBalancer(arn=arn, name=name, dns_name=f"{name}-1234567890.{REGION}.elb.amazonaws.com")
        return self.load_balancer

    def create_listener(self, port: int, default_actions: list[dict[str, Any]]) -> Listener:
        assert self.load_balancer is not None
        suffix = self.load_balancer.full_name
        listener = Listener(
            arn=f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:listener/{suffix}/{_hex()}",
            port=port,
            default_actions=default_actions,
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
        arn = listener.arn.replace(":listener/", ":listener-rule/") + f"/{_hex()}"
        rule = Rule(arn=arn, listener=listener, priority=priority, conditions=conditions, actions=actions)
        rule.routing.append((self.sim.time, actions))
        listener.rules.append(rule)
        listener.rules.sort(key=lambda item: item.priority)
        self.rules[arn] = rule
        self._refresh_use()
        return rule

    def deploy_rule(self, rule: Rule, actions: list[dict[str, Any]]) -> None:
        """A rule's actions as a deploy creates them: in force at once (no earlier routing to replace)."""
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
                {"RuleArn": arn, "Priority": str(self.rules[arn].priority), "Actions": self.rules[arn].actions}
                for arn in RuleArns
            ]
        }

    def modify_rule(self, RuleArn: str, Actions: list[dict[str, Any]]) -> dict[str, Any]:
        self._call("ModifyRule")
        rule = self.rules.get(RuleArn)
        if rule is None:
            raise client_error("RuleNotFound", "One or more rules not found", "ModifyRule")
        for action in Actions:
            for arn in _forwarded(action):
                if arn not in self.target_groups:
                    raise client_error("TargetGroupNotFound", f"Target group '{arn}' not found", "ModifyRule")
        rule.actions = [dict(action) for action in Actions]
        last = rule.routing[-1][0]
        effective = max(self.sim.time + self.sim.uniform(*self.world.timings.rule_propagation), last)
        rule.routing.append((effective, rule.actions))
        self._refresh_use()
        self.world.log_event("rule", rule=RuleArn, actions=rule.actions)
        return {"Rules": [{"RuleArn": RuleArn, "Actions": rule.actions}]}

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
        action = actions[-1]
        if action["Type"] == "fixed-response":
            config = action["FixedResponseConfig"]
            return HttpResponse(status=int(config["StatusCode"]), body=config.get("MessageBody", ""))
        group = self.target_groups[self._pick_group(action)]
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
