"""Amazon ECS on Fargate in the twin: services, their tasks' lifecycle, tags, events, and billing.

Task lifecycle (task-lifecycle-explanation): PROVISIONING ("for tasks that use the awsvpc network mode, the
elastic network interface needs to be provisioned"), PENDING ("waiting on the container agent"),
ACTIVATING ("pulls the container images, creates the containers, configures the task networking, registers
load balancer target groups"), RUNNING; stopping: DEACTIVATING (target group deregistration), STOPPING,
DEPROVISIONING, STOPPED. Fargate caches no image: "the whole container image needs to be pulled from the
container image registry for each Fargate task" (fargate-pull-behavior). Durations: tests/twin/timings.py.

Service scheduler: starts and stops tasks to meet the desired count (after Timings.ecs_scheduler). A task
that fails the load balancer's health checks is replaced: "If a service's task fails the load balancer
health check criteria, the task is stopped and restarted", after the health check grace period ("the
period of time ... that the Amazon ECS service scheduler ignores unhealthy Elastic Load Balancing ...
health checks after a task has first started"); since 2023 "Amazon ECS will first start a healthy
replacement ... before terminating it". Tasks that repeatedly stop before RUNNING are retried with "the
time between subsequent restart attempts ... incrementally increased up to a maximum of 15 minutes", with
the event "(service service-name) is unable to consistently start tasks successfully." (service throttle
logic). Stopping a task deregisters its target first; the task stops after the deregistration delay.

API: DescribeServices ("up to 10 services ... in a single operation"; tags only with include TAGS; the
latest 100 events), UpdateService, TagResource (50 tags, values up to 256 characters), ListTasks,
DescribeTasks ("stopped tasks appear in the returned results for at least one hour").

Billing: Fargate bills "from the time you start to download your container image until the Amazon ECS Task
terminates, rounded up to the nearest second", with a one-minute minimum (Fargate pricing page).
"""

from __future__ import annotations

import itertools
import re
from collections import deque
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from tests.twin.api import Api
from tests.twin.elb import ACCOUNT, REGION, HttpRequest, HttpResponse, Target, TargetGroup
from tests.twin.errors import client_error

if TYPE_CHECKING:
    from tests.twin.world import World

FOREVER = float("inf")
HEALTH_REPLACEMENT_CHECK_SECONDS = 10.0  # ASSUMPTION: how often the scheduler looks at target health
MAX_RESTART_BACKOFF_SECONDS = 15 * 60
_task_ids = itertools.count(1)
_TAG_VALUE = re.compile(r"^[\w .:/=+\-@]{0,256}$")


class Behaviour(Enum):
    """What the app in an image does when it starts."""

    OK = "ok"
    PULL_FAILS = "pull fails"  # the image tag is not in the repository
    CRASHES = "crashes"  # the container exits soon after it starts
    NEVER_HEALTHY = "never healthy"  # it runs but never answers its health check


@dataclass(frozen=True)
class TaskDefinition:
    family: str
    revision: int
    behaviour: Behaviour = Behaviour.OK
    zstd: bool = False

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/{self.family}:{self.revision}"


@dataclass(eq=False)
class Task:
    service: Service
    definition: TaskDefinition
    id: str
    created_at: float
    provisioned_at: float = FOREVER  # end of PROVISIONING
    pull_started_at: float = FOREVER  # start of ACTIVATING
    pull_stopped_at: float = FOREVER
    running_at: float = FOREVER
    ready_at: float = FOREVER  # the app answers requests and /health
    broken_at: float = FOREVER  # the app stops answering (crash)
    stop_at: float = FOREVER  # STOPPED
    stop_requested_at: float = FOREVER
    stopped_reason: str = ""
    target: Target | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/{self.service.cluster}/{self.id}"

    def status(self, now: float) -> str:
        if now >= self.stop_at:
            return "STOPPED"
        if now >= self.stop_requested_at:
            return "DEACTIVATING"
        if now >= self.running_at:
            return "RUNNING"
        if now >= self.pull_started_at:
            return "ACTIVATING"
        if now >= self.provisioned_at:
            return "PENDING"
        return "PROVISIONING"

    def answers_health(self, moment: float) -> bool:
        healthy_app = self.definition.behaviour is Behaviour.OK
        return healthy_app and self.ready_at <= moment < min(self.broken_at, self.stop_at)

    def health_stable_until(self, moment: float) -> float:
        """The next known moment at which answers_health may change."""
        changes = [value for value in (self.ready_at, self.broken_at, self.stop_at) if value > moment]
        return min(changes, default=FOREVER)

    def serve(self, request: HttpRequest, now: float) -> HttpResponse:
        if self.ready_at <= now < min(self.broken_at, self.stop_at):
            return HttpResponse(status=200, body=f"app page {request.path}", source="app")
        return HttpResponse(status=502, body="502 Bad Gateway (target closed the connection)")

    def billed_seconds(self, until: float) -> float:
        start = self.pull_started_at
        if start == FOREVER or start > until:
            return 0.0
        end = min(self.stop_at, until)
        return max(60.0, float(-(-(end - start) // 1)))

    def describe(self, now: float) -> dict[str, Any]:
        status = self.status(now)
        answer: dict[str, Any] = {
            "taskArn": self.arn,
            "lastStatus": status,
            "desiredStatus": "STOPPED" if now >= self.stop_requested_at or status == "STOPPED" else "RUNNING",
            "taskDefinitionArn": self.definition.arn,
            "containers": [{"name": "dash", "lastStatus": status}],
        }
        if now >= self.pull_started_at:
            answer["pullStartedAt"] = self.pull_started_at
        if now >= self.pull_stopped_at:
            answer["pullStoppedAt"] = self.pull_stopped_at
        if status == "STOPPED":
            answer["stoppedReason"] = self.stopped_reason
        return answer


@dataclass(eq=False)
class Service:
    name: str
    cluster: str
    definition: TaskDefinition
    target_group: TargetGroup
    desired: int = 0
    grace_seconds: float = 60.0
    tags: dict[str, str] = field(default_factory=dict)
    events: deque[str] = field(default_factory=lambda: deque(maxlen=100))
    tasks: list[Task] = field(default_factory=list)
    rollout: str = "COMPLETED"
    launch_failures: int = 0
    next_launch: float = 0.0

    @property
    def arn(self) -> str:
        return f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/{self.cluster}/{self.name}"

    def active_tasks(self, now: float) -> list[Task]:
        return [task for task in self.tasks if task.stop_requested_at > now and task.stop_at > now]


class Ecs(Api):
    service = "ecs"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.services: dict[str, Service] = {}  # by name
        self.billed: list[Task] = []

    # API ----------------------------------------------------------------------------------------------

    def describe_services(self, cluster: str, services: list[str], include: list[str] | None = None) -> dict:
        self._call("DescribeServices")
        if len(services) > 10:
            raise client_error(
                "InvalidParameterException", "up to 10 services in a single operation", "DescribeServices"
            )
        now = self.sim.time
        found, failures = [], []
        for name in services:
            service = self.services.get(name.rsplit("/", 1)[-1])
            if service is None or service.cluster != cluster.rsplit("/", 1)[-1]:
                failures.append({"arn": name, "reason": "MISSING"})
                continue
            active = service.active_tasks(now)
            item = {
                "serviceArn": service.arn,
                "serviceName": service.name,
                "status": "ACTIVE",
                "desiredCount": service.desired,
                "runningCount": sum(1 for task in active if task.status(now) == "RUNNING"),
                "pendingCount": sum(1 for task in active if task.status(now) != "RUNNING"),
                "taskDefinition": service.definition.arn,
                "deployments": [{"status": "PRIMARY", "rolloutState": service.rollout}],
                "events": [{"message": message} for message in service.events],
            }
            if include and "TAGS" in include:
                item["tags"] = [{"key": key, "value": value} for key, value in service.tags.items()]
            found.append(item)
        return {"services": found, "failures": failures}

    def update_service(self, cluster: str, service: str, desiredCount: int) -> dict:
        self._call("UpdateService")
        target = self._service(service)
        self.set_desired(target, desiredCount, cause="UpdateService")
        return {"service": {"serviceArn": target.arn, "desiredCount": desiredCount}}

    def tag_resource(self, resourceArn: str, tags: list[dict[str, str]]) -> dict:
        self._call("TagResource")
        service = self._service(resourceArn)
        for tag in tags:
            if not _TAG_VALUE.fullmatch(tag["value"]) or len(tag["key"]) > 128:
                raise client_error("InvalidParameterException", f"invalid tag {tag['key']}", "TagResource")
            service.tags[tag["key"]] = tag["value"]
        if len(service.tags) > 50:
            raise client_error("InvalidParameterException", "more than 50 tags", "TagResource")
        return {}

    def list_tasks(self, cluster: str, serviceName: str, desiredStatus: str = "RUNNING") -> dict:
        self._call("ListTasks")
        service = self._service(serviceName)
        now = self.sim.time
        stopped = desiredStatus == "STOPPED"
        arns = [
            task.arn
            for task in service.tasks
            if (task.stop_requested_at <= now or task.stop_at <= now) == stopped and now - task.stop_at < 3600
        ]
        return {"taskArns": arns}

    def describe_tasks(self, cluster: str, tasks: list[str]) -> dict:
        self._call("DescribeTasks")
        now = self.sim.time
        by_arn = {task.arn: task for service in self.services.values() for task in service.tasks}
        return {"tasks": [by_arn[arn].describe(now) for arn in tasks if arn in by_arn]}

    def _service(self, name_or_arn: str) -> Service:
        service = self.services.get(name_or_arn.rsplit("/", 1)[-1])
        if service is None:
            raise client_error("ServiceNotFoundException", "Service not found.", "ECS")
        return service

    # The service scheduler ----------------------------------------------------------------------------

    def set_desired(self, service: Service, count: int, *, cause: str) -> None:
        if count == service.desired:
            return
        self.world.log_event("desired", service=service.name, before=service.desired, after=count, cause=cause)
        service.desired = count
        self.sim.after(self.sim.uniform(*self.world.timings.ecs_scheduler), lambda: self.reconcile(service))

    def deploy(self, service: Service, definition: TaskDefinition) -> None:
        """What a CloudFormation update of the service does: a rolling replacement with the new definition."""
        service.definition = definition
        service.rollout = "IN_PROGRESS" if service.desired else "COMPLETED"
        for task in service.active_tasks(self.sim.time):
            self._stop(task, "Deployment: replaced by a new task definition", replace=True)
        self.reconcile(service)

    def reconcile(self, service: Service) -> None:
        now = self.sim.time
        active = service.active_tasks(now)
        if len(active) > service.desired:
            # Scale in: the newest tasks first (ECS's default placement for Fargate spreads across AZs).
            for task in sorted(active, key=lambda item: item.created_at)[service.desired :]:
                self._stop(task, "Scaling activity initiated by (deployment)")
        missing = service.desired - len(active)
        if missing > 0:
            if now < service.next_launch:
                self.sim.at(service.next_launch, lambda: self.reconcile(service))
                return
            for _ in range(missing):
                self._start(service)
            service.events.appendleft(f"(service {service.name}) has started {missing} tasks.")

    def _start(self, service: Service) -> Task:
        timings, sim = self.world.timings, self.sim
        now = sim.time
        task = Task(service=service, definition=service.definition, id=f"{next(_task_ids):032x}", created_at=now)
        task.provisioned_at = now + sim.uniform(*timings.provisioning)
        task.pull_started_at = task.provisioned_at + sim.uniform(*timings.pending)
        pull = timings.pull_seconds(
            sim.uniform(*timings.download_mb_per_second),
            sim.uniform(*timings.extract_mb_per_second),
            zstd=task.definition.zstd,
        )
        task.pull_stopped_at = task.pull_started_at + pull
        service.tasks.append(task)
        self.billed.append(task)
        behaviour = task.definition.behaviour
        if behaviour is Behaviour.PULL_FAILS:
            task.pull_stopped_at = FOREVER
            reason = (
                f"CannotPullContainerError: pull image manifest has been retried 5 time(s): {service.definition.arn}"
                " not found"
            )
            sim.at(task.pull_started_at + 10.0, lambda: self._launch_failed(task, reason))
            return task
        registered_at = task.pull_stopped_at + sim.uniform(*timings.register)
        task.running_at = registered_at
        task.ready_at = task.pull_stopped_at + sim.uniform(*timings.app_start)
        sim.at(registered_at, lambda: self._register(task))
        if behaviour is Behaviour.CRASHES:
            task.broken_at = task.ready_at = task.pull_stopped_at + 1.0
            task.running_at = task.broken_at - 0.5
            sim.at(task.broken_at, lambda: self._crashed(task))
        return task

    def _register(self, task: Task) -> None:
        if task.stop_requested_at <= self.sim.time:
            return
        ip = f"10.0.{(int(task.id, 16) // 250) % 250}.{int(task.id, 16) % 250 + 1}"
        task.target = self.world.elb.register(task.service.target_group, task, ip, 8050)
        if task.definition.behaviour is Behaviour.NEVER_HEALTHY:
            self.sim.at(task.running_at + task.service.grace_seconds, lambda: self._watch_health(task))
        if task.service.rollout == "IN_PROGRESS":
            self.sim.after(30.0, lambda: self._finish_rollout(task.service))

    def _finish_rollout(self, service: Service) -> None:
        group = service.target_group
        healthy = [target for target in group.targets if self.world.elb.health_of(group, target)[0] == "healthy"]
        if healthy:
            service.rollout = "COMPLETED"
            service.events.appendleft(f"(service {service.name}) has reached a steady state.")
        elif service.active_tasks(self.sim.time):
            self.sim.after(30.0, lambda: self._finish_rollout(service))

    def _watch_health(self, task: Task) -> None:
        """After the grace period: a task whose target is unhealthy is replaced, then stopped."""
        now = self.sim.time
        if task.stop_requested_at <= now or task.target is None:
            return
        group = task.service.target_group
        state, _ = self.world.elb.health_of(group, task.target)
        if state == "unhealthy":
            task.service.events.appendleft(
                f"(service {task.service.name}) (task {task.id}) (port 8050) is unhealthy in (target-group "
                f"{group.arn}) due to (reason Health checks failed)."
            )
            self._start(task.service)
            self._stop(task, f"Task failed ELB health checks in (target-group {group.arn})")
            return
        self.sim.after(HEALTH_REPLACEMENT_CHECK_SECONDS, lambda: self._watch_health(task))

    def _crashed(self, task: Task) -> None:
        if task.stop_requested_at <= self.sim.time:
            return
        self._stop(task, "Essential container in task exited", replace=True)

    def _launch_failed(self, task: Task, reason: str) -> None:
        """Stopped before RUNNING: the service throttle logic backs off before the next launch."""
        service = task.service
        task.stop_requested_at = task.stop_at = self.sim.time
        task.stopped_reason = reason
        service.launch_failures += 1
        backoff = min(MAX_RESTART_BACKOFF_SECONDS, 10.0 * 2 ** (service.launch_failures - 1))
        service.next_launch = self.sim.time + backoff
        if service.launch_failures >= 3:
            service.events.appendleft(f"(service {service.name}) is unable to consistently start tasks successfully.")
        self.reconcile(service)

    def _stop(self, task: Task, reason: str, *, replace: bool = False) -> None:
        now = self.sim.time
        if task.stop_requested_at <= now:
            return
        task.stop_requested_at = now
        task.stopped_reason = reason
        group = task.service.target_group
        delay = 0.0
        if task.target is not None:
            self.world.elb.deregister(group, task.target)
            delay = group.deregistration_delay
        task.stop_at = now + delay + 2.0
        if task.broken_at == FOREVER:
            task.broken_at = task.stop_at
        task.service.events.appendleft(f"(service {task.service.name}) has stopped 1 running tasks: (task {task.id}).")
        if replace:
            self.sim.after(0.0, lambda: self.reconcile(task.service))

    def task_seconds(self, until: float) -> float:
        return sum(task.billed_seconds(until) for task in self.billed)
