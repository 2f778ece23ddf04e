"""Application Auto Scaling in the twin: scalable targets and target tracking on requests per task.

RegisterScalableTarget: "If the specified resource is not active in the target service, this operation
does not change the resource's current capacity. Otherwise, it changes the resource's current capacity to
a value that is inside of this range" (RegisterScalableTarget). The change reaches the ECS service after
Timings.autoscaling_apply (ASSUMPTION: the API does not say how soon). "Application Auto Scaling scaling
policies will not scale capacity to values that are outside of the minimum and maximum range."

Target tracking: "When the metric is above the target value, Application Auto Scaling scales out ... When
the metric is below the target value, Application Auto Scaling scales in", with cooldowns, and "if another
alarm triggers a scale-out activity during the scale-in cooldown period, Application Auto Scaling scales out
the target immediately" (target-tracking-scaling-policy-overview). The alarms' evaluation periods are an
ASSUMPTION: out after 3 minutes above the target, in after 15 minutes below 90% of it, 300 s cooldown.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.twin.api import Api
from tests.twin.errors import client_error

if TYPE_CHECKING:
    from tests.twin.ecs import Service
    from tests.twin.world import World

SCALE_IN_COOLDOWN = 300.0


@dataclass(eq=False)
class ScalableTarget:
    resource_id: str
    service: Service
    min_capacity: int
    max_capacity: int
    requests_per_target: int = 100
    last_scale_in: float = float("-inf")
    history: list[float] = field(default_factory=list)  # requests per running task, one per minute


class AutoScaling(Api):
    service = "application-autoscaling"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.targets: dict[str, ScalableTarget] = {}

    def add(self, target: ScalableTarget) -> None:
        self.targets[target.resource_id] = target
        self.sim.after(60.0, lambda: self._track(target))

    def register_scalable_target(
        self,
        ServiceNamespace: str,
        ResourceId: str,
        ScalableDimension: str,
        MinCapacity: int,
        MaxCapacity: int,
    ) -> dict[str, Any]:
        self._call("RegisterScalableTarget")
        target = self.targets.get(ResourceId)
        if target is None or MinCapacity > MaxCapacity:
            raise client_error("ValidationException", f"bad scalable target {ResourceId}", "RegisterScalableTarget")
        target.min_capacity, target.max_capacity = MinCapacity, MaxCapacity
        self.world.log_event("range", resource=ResourceId, min=MinCapacity, max=MaxCapacity)
        self.sim.after(self.sim.uniform(*self.world.timings.autoscaling_apply), lambda: self._clamp(target))
        return {
            "ScalableTargetARN": f"arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/{id(target)}"
        }

    def describe_scalable_targets(
        self,
        ServiceNamespace: str,
        ResourceIds: list[str],
        ScalableDimension: str,
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        self._call("DescribeScalableTargets")
        if len(ResourceIds) > 50:
            raise client_error("ValidationException", "at most 50 ResourceIds", "DescribeScalableTargets")
        found = [self.targets[resource] for resource in ResourceIds if resource in self.targets]
        return {
            "ScalableTargets": [
                {
                    "ServiceNamespace": "ecs",
                    "ResourceId": target.resource_id,
                    "ScalableDimension": ScalableDimension,
                    "MinCapacity": target.min_capacity,
                    "MaxCapacity": target.max_capacity,
                }
                for target in found
            ]
        }

    def _clamp(self, target: ScalableTarget) -> None:
        desired = target.service.desired
        clamped = min(max(desired, target.min_capacity), target.max_capacity)
        if clamped != desired:
            self.world.ecs.set_desired(target.service, clamped, cause="RegisterScalableTarget range")

    def _track(self, target: ScalableTarget) -> None:
        """Once a minute: requests per running task in the last minute against the target value."""
        service, now = target.service, self.sim.time
        running = sum(1 for task in service.active_tasks(now) if task.status(now) == "RUNNING")
        if running:
            requests = self.world.cloudwatch.raw_sum(
                "AWS/ApplicationELB", "RequestCount", service.target_group.full_name, now - 60, now
            )
            target.history = [*target.history[-14:], requests / running]
            desired = service.desired
            if len(target.history) >= 3 and min(target.history[-3:]) > target.requests_per_target:
                wanted = min(target.max_capacity, desired + 1)
            elif (
                len(target.history) >= 15
                and max(target.history[-15:]) < 0.9 * target.requests_per_target
                and now - target.last_scale_in >= SCALE_IN_COOLDOWN
            ):
                wanted = max(target.min_capacity, desired - 1)
            else:
                wanted = desired
            if wanted != desired and desired > 0:
                if wanted < desired:
                    target.last_scale_in = now
                self.world.ecs.set_desired(service, wanted, cause="target tracking")
        else:
            target.history = []
        self.sim.after(60.0, lambda: self._track(target))
