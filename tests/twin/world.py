"""A whole ZeroDash deployment in the twin, built as the infra builds it, with the real Lambda code in it.

Per app (infra/constructs/dash_service.py and scale_to_zero.py): a service target group (IP targets on
8050, health check on /health every 5 s, 2 healthy / 3 unhealthy, 30 s deregistration delay, stickiness),
a waker target group (Lambda), the app's listener rule (path, and host = the load balancer's name) that
forwards to the waker as deployed, a keeper rule on the unreachable keeper listener that keeps the
service's group in use, the ECS service, its scalable target, the SSM parameter with the app object, and
the waker function. Once: the load balancer and its public listener (robots.txt rule, bot rules, 404 by
default), the token secret, and the scaler on its schedule.

`keeper=False` builds the deployment as it was before the keeper rule, to show the wake deadlock.

An app with `auth` ("oidc" or "cognito") is deployed as the domain way deploys it: the public listener is
HTTPS:443, and the app's rule is [authenticate-oidc|authenticate-cognito (Order 1), forward (Order 2)]; its
app object says `"auth": true`. The waker's environment carries FRAME_ANCESTORS as infra sets it.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from common.aws import Clients, with_retries
from common.registry import apps_path
from common.retry import SCALER_RETRIES, WAKER_RETRIES, CallBudget
from infra.config import ScalingConfig
from scaler import handler as scaler_handler
from tests.twin.api import Api, CallLog, Faults, TokenBucket
from tests.twin.autoscaling import AutoScaling, ScalableTarget
from tests.twin.cloudwatch import CloudWatch
from tests.twin.ecs import Behaviour, Ecs, Service, TaskDefinition
from tests.twin.elb import ACCOUNT, Elb, HealthCheck, HttpRequest, HttpResponse, Rule, TargetGroup
from tests.twin.errors import client_error
from tests.twin.lambdas import LambdaFunction
from tests.twin.sim import Sim
from tests.twin.timings import DEFAULT_TIMINGS, Timings
from waker import handler as waker_handler
from waker import runtime as waker_runtime

STACK_PREFIX = "ZeroDash"
CLUSTER = "zerodash"
KEEPER_PORT = 8081
BOT_USER_AGENTS = (
    ("*bot*", "*crawl*", "*spider*", "*slurp*", "*python-requests*"),
    ("*uptime*", "*monitor*", "*health*", "*synthetic*", "*curl/*"),
)
WAKER_TIMEOUT = 10.0
SCALER_TIMEOUT = 50.0


@dataclass(frozen=True, kw_only=True)
class AppSetup:
    """One app as configured (the infra's AppConfig, reduced to what the twin needs)."""

    name: str = "dashboard"
    path: str = "/*"
    title: str = "Population by country"
    idle_minutes: int = 15
    min_awake_minutes: int = 5
    min_tasks: int = 1
    max_tasks: int = 2
    keep_warm: tuple[dict[str, str], ...] = ()
    expected_start_seconds: int = 60
    behaviour: Behaviour = Behaviour.OK
    zstd: bool = False
    priority: int | None = None
    auth: str | None = None  # "oidc" or "cognito": the rule authenticates (HTTPS listener)
    on_unauthenticated: str = "authenticate"  # OnUnauthenticatedRequest
    session_minutes: int = 480  # SessionTimeout, as the config's sessionTimeoutMinutes (default 480)
    frame_ancestors: tuple[str, ...] = ()


@dataclass(eq=False)
class TwinApp:
    setup: AppSetup
    service: Service
    service_group: TargetGroup
    waker_group: TargetGroup
    rule: Rule
    waker: LambdaFunction
    app_object: dict[str, Any]
    template_actions: list[dict[str, Any]] = field(default_factory=list)  # the rule as the template writes it


class Ssm(Api):
    service = "ssm"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.parameters: dict[str, str] = {}

    def get_parameters_by_path(
        self,
        Path: str,
        Recursive: bool = False,
        MaxResults: int = 10,
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        self._call("GetParametersByPath")
        names = sorted(name for name in self.parameters if name.startswith(Path) and "/" not in name[len(Path) :])
        start = int(NextToken or 0)
        page = names[start : start + min(MaxResults, 10)]
        answer: dict[str, Any] = {"Parameters": [{"Name": name, "Value": self.parameters[name]} for name in page]}
        if start + len(page) < len(names):
            answer["NextToken"] = str(start + len(page))
        return answer

    def get_parameter(self, Name: str) -> dict[str, Any]:
        self._call("GetParameter")
        if Name not in self.parameters:
            raise client_error("ParameterNotFound", Name, "GetParameter")
        return {"Parameter": {"Name": Name, "Value": self.parameters[Name]}}


class Secrets(Api):
    service = "secretsmanager"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.secrets: dict[str, str] = {}

    def get_secret_value(self, SecretId: str) -> dict[str, Any]:
        self._call("GetSecretValue")
        return {"SecretString": self.secrets[SecretId]}


@dataclass
class Event:
    time: float
    kind: str
    details: dict[str, Any] = field(default_factory=dict)


class World:
    def __init__(
        self,
        *,
        start: datetime,
        apps: tuple[AppSetup, ...] = (AppSetup(),),
        seed: int = 0,
        timings: Timings = DEFAULT_TIMINGS,
        faults: Faults | None = None,
        block_bots: bool = True,
        keeper: bool = True,
        waker_concurrency: int = 10,
        scaler_rate_minutes: int = 1,
        scaler: bool = True,
        rule_quota: int = 100,
        https: bool | None = None,
    ) -> None:
        """`https`: the public listener is HTTPS:443 (the domain way); by default when an app authenticates."""
        self.sim = Sim(start, seed=seed)
        self.timings = timings
        self.faults = faults or Faults()
        self.calls = CallLog()
        self.events: list[Event] = []
        self.records: list[dict[str, Any]] = []
        self.elb_describe_bucket = TokenBucket(size=40, refill_per_second=10)
        self.elb = Elb(self, rule_quota=rule_quota)
        self.ecs = Ecs(self)
        self.autoscaling = AutoScaling(self)
        self.cloudwatch = CloudWatch(self)
        self.ssm = Ssm(self)
        self.secrets = Secrets(self)
        self.secret_id = "arn:aws:secretsmanager:us-east-1:123456789012:secret:zerodash-wake-token"
        self.secrets.secrets[self.secret_id] = "twin-token-key-" + str(seed)

        load_balancer = self.elb.create_load_balancer("zerodash-alb")
        self.host = load_balancer.dns_name
        https = any(setup.auth for setup in apps) if https is None else https
        self.port = 443 if https else 80
        self.listener = self.elb.create_listener(
            self.port,
            [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "MessageBody": "Not found"}}],
            protocol="HTTPS" if https else "HTTP",
        )
        self.keeper_listener = self.elb.create_listener(KEEPER_PORT, self.listener.default_actions) if keeper else None
        robots = {"StatusCode": "200", "MessageBody": "User-agent: *\nDisallow: /\n"}
        self.elb.create_rule(
            self.listener,
            1,
            [{"Field": "path-pattern", "Values": ["/robots.txt"]}],
            [{"Type": "fixed-response", "FixedResponseConfig": robots}],
        )
        if block_bots:
            for priority, agents in zip((2, 3), BOT_USER_AGENTS, strict=True):
                self.elb.create_rule(
                    self.listener,
                    priority,
                    [
                        {
                            "Field": "http-header",
                            "HttpHeaderConfig": {"HttpHeaderName": "User-Agent", "Values": list(agents)},
                        }
                    ],
                    [{"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403"}}],
                )
        self.apps: dict[str, TwinApp] = {}
        for index, setup in enumerate(apps):
            self.apps[setup.name] = self._add_app(setup, index, waker_concurrency)
        self.scaler: LambdaFunction | None = None
        if scaler:
            self._add_scaler(scaler_rate_minutes)

    # Building ----------------------------------------------------------------------------------------

    def _add_app(self, setup: AppSetup, index: int, waker_concurrency: int) -> TwinApp:
        elb = self.elb
        service_group = elb.create_target_group(
            f"{setup.name}-svc",
            "ip",
            health=HealthCheck(path=setup.path.rstrip("*") + "health"),
            deregistration_delay=30.0,
            stickiness=True,
        )
        waker_group = elb.create_target_group(f"{setup.name}-wkr", "lambda")
        priority = setup.priority or (50000 if setup.path == "/*" else (index + 1) * 10)
        template_actions = rule_template_actions(setup, waker_group.arn)
        rule = elb.create_rule(
            self.listener,
            priority,
            [
                {"Field": "path-pattern", "Values": [setup.path]},
                {"Field": "host-header", "Values": [self.host]},
            ],
            json.loads(json.dumps(template_actions)),
        )
        if self.keeper_listener is not None:
            elb.create_rule(
                self.keeper_listener,
                priority,
                [{"Field": "source-ip", "Values": ["255.255.255.255/32"]}],
                [{"Type": "forward", "TargetGroupArn": service_group.arn}],
            )
        definition = TaskDefinition(
            family=f"zerodash-{setup.name}", revision=1, behaviour=setup.behaviour, zstd=setup.zstd
        )
        service = Service(
            name=f"{setup.name}-service", cluster=CLUSTER, definition=definition, target_group=service_group
        )
        self.ecs.services[service.name] = service
        self.autoscaling.add(
            ScalableTarget(
                resource_id=f"service/{CLUSTER}/{service.name}", service=service, min_capacity=0, max_capacity=0
            )
        )
        # The same keys infra writes (infra/constructs/scale_to_zero.py app_object); the policy part is infra's own.
        scaling = ScalingConfig(
            idle_minutes=setup.idle_minutes,
            min_awake_minutes=setup.min_awake_minutes,
            min_tasks=setup.min_tasks,
            max_tasks=setup.max_tasks,
            expected_start_seconds=setup.expected_start_seconds,
        )
        app_object = {
            "name": setup.name,
            "title": setup.title,
            "cluster": CLUSTER,
            "service": service.name,
            "ruleArn": rule.arn,
            "serviceTargetGroupArn": service_group.arn,
            "wakerTargetGroupArn": waker_group.arn,
            **scaling.policy_json(),
            "keepWarm": list(setup.keep_warm),  # as written in the config (validated by the Lambdas' parser)
            "auth": setup.auth is not None,
        }
        parameter = apps_path(STACK_PREFIX) + setup.name
        self.ssm.parameters[parameter] = json.dumps(app_object)
        environ = {
            "ZERODASH_APP_PARAMETER": parameter,
            "ZERODASH_TOKEN_SECRET": self.secret_id,
            "FRAME_ANCESTORS": " ".join(setup.frame_ancestors) or "'none'",  # as infra sets it
        }

        def init() -> Any:
            """An execution environment: the handler's own lazy, cached runtime (waker/handler.py `_runtime`)."""

            def clients(budget: CallBudget) -> Clients:
                policy, rng = WAKER_RETRIES, self.sim.rng
                return with_retries(self.clients(), policy=policy, sleep=self.sim.sleep, draw=rng.random, budget=budget)

            @functools.cache
            def runtime() -> waker_runtime.Runtime:
                return waker_runtime.build_runtime(clients, environ, now=self.sim.now, sleep=self.sim.sleep)

            return runtime

        waker = LambdaFunction(
            self,
            f"{setup.name}-waker",
            init=init,
            handle=functools.partial(waker_handler.answer, environ=environ),
            timeout=WAKER_TIMEOUT,
            reserved_concurrency=waker_concurrency,
            read_timeout=WAKER_RETRIES.read_timeout,
        )
        waker_group.function = waker
        return TwinApp(
            setup=setup,
            service=service,
            service_group=service_group,
            waker_group=waker_group,
            rule=rule,
            waker=waker,
            app_object=app_object,
            template_actions=template_actions,
        )

    def _add_scaler(self, rate_minutes: int) -> None:
        environ = {"ZERODASH_APPS_PATH": apps_path(STACK_PREFIX)}

        def init() -> Any:
            clients = with_retries(
                self.clients(), policy=SCALER_RETRIES, sleep=self.sim.sleep, draw=self.sim.rng.random
            )
            return scaler_handler.build_runtime(clients, environ, now=self.sim.now)

        self.scaler = LambdaFunction(
            self,
            "scaler",
            init=init,
            handle=lambda runtime, event: scaler_handler.run(runtime),
            timeout=SCALER_TIMEOUT,
            reserved_concurrency=1,
            read_timeout=SCALER_RETRIES.read_timeout,
        )
        # "A rate expression starts when you create the scheduled event rule" (eb-rate-expressions): the
        # runs fall at one arbitrary second of the minute.
        period = 60.0 * rate_minutes
        offset = self.sim.uniform(0, period)

        def tick() -> None:
            self.sim.spawn("scheduled scaler run", self._run_scaler, source="schedule")
            self.sim.after(period, tick)

        self.sim.after(offset, tick)

    def _run_scaler(self) -> None:
        assert self.scaler is not None
        for _ in range(3):  # throttled asynchronous events are retried (invocation-async-error-handling)
            outcome, _ = self.scaler.invoke({"source": "aws.events"})
            if outcome != "throttled":
                return
            self.sim.sleep(self.sim.uniform(1.0, 5.0))

    # Using it -----------------------------------------------------------------------------------------

    def clients(self) -> Clients:
        """The twin's API clients, as the code under test gets them (before its retry wrapper)."""
        return Clients(
            ecs=self.ecs,
            elbv2=self.elb,
            autoscaling=self.autoscaling,
            cloudwatch=self.cloudwatch,
            ssm=self.ssm,
            secrets=self.secrets,
        )

    def request(self, request: HttpRequest) -> HttpResponse:
        """Through the load balancer, from a browser actor (the network round trip is part of the model)."""
        if request.port is None:
            request = replace(request, port=self.port)
        self.sim.sleep(0.02)
        response = self.elb.route(request)
        self.sim.sleep(0.02)
        return response

    def start_awake(self, name: str) -> None:
        """Deploy `name` as a first deploy leaves it: minTasks asked for, the rule still on the waker (the waker
        or the scaler moves it once a target is healthy)."""
        setup = self.apps[name].setup
        self.deploy(name, capacity=(setup.min_tasks, setup.max_tasks), desired=setup.min_tasks)

    def deploy(self, name: str, *, capacity: tuple[int, int], desired: int, rule_to_service: bool = False) -> None:
        """What a CloudFormation deploy sets for `name`: the scalable target's range, the desired count, and with
        `rule_to_service` the app's rule forwarding to its service (an always-on template, no waker)."""
        app = self.apps[name]
        scalable = self.autoscaling.targets[f"service/{CLUSTER}/{app.service.name}"]
        scalable.min_capacity, scalable.max_capacity = capacity
        self.ecs.set_desired(app.service, desired, cause="deploy")
        if rule_to_service:
            self.elb.deploy_rule(app.rule, [{"Type": "forward", "TargetGroupArn": app.service_group.arn}])

    def redeploy_rule(self, name: str) -> None:
        """A deploy that writes the app's rule from its template again (forward to the waker, with its login)."""
        app = self.apps[name]
        self.elb.deploy_rule(app.rule, json.loads(json.dumps(app.template_actions)))

    def log_event(self, kind: str, **details: Any) -> None:
        actor = self.sim.current
        if actor is not None:
            details.setdefault("client", actor.tags.get("client"))
            details.setdefault("actor", actor.name)
        self.events.append(Event(time=self.sim.time, kind=kind, details=details))

    def target_states(self, name: str) -> list[str]:
        group = self.apps[name].service_group
        return [self.elb.health_of(group, target)[0] for target in self.elb.live_targets(group)]


def rule_template_actions(setup: AppSetup, waker_group_arn: str) -> list[dict[str, Any]]:
    """The app rule's actions as the template has them: forward to the waker, behind the login if any."""
    forward = {"Type": "forward", "TargetGroupArn": waker_group_arn}
    if setup.auth is None:
        return [forward]
    common = {
        "OnUnauthenticatedRequest": setup.on_unauthenticated,
        "Scope": "openid",
        "SessionTimeout": setup.session_minutes * 60,
    }
    if setup.auth == "oidc":
        login = {
            "Type": "authenticate-oidc",
            "AuthenticateOidcConfig": {
                "Issuer": "https://login.example.com",
                "AuthorizationEndpoint": "https://login.example.com/oauth2/authorize",
                "TokenEndpoint": "https://login.example.com/oauth2/token",
                "UserInfoEndpoint": "https://login.example.com/oauth2/userinfo",
                "ClientId": f"{setup.name}-client",
                "ClientSecret": f"twin-client-secret-of-{setup.name}",
                **common,
            },
        }
    else:
        login = {
            "Type": "authenticate-cognito",
            "AuthenticateCognitoConfig": {
                "UserPoolArn": f"arn:aws:cognito-idp:us-east-1:{ACCOUNT}:userpool/us-east-1_Twin",
                "UserPoolClientId": f"{setup.name}-client",
                "UserPoolDomain": "zerodash-twin",
                **common,
            },
        }
    return [{**login, "Order": 1}, {**forward, "Order": 2}]
