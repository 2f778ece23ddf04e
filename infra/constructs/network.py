"""The VPC the platform runs in."""

from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.constructs.retention import retention_days


class Network(Construct):
    """A VPC over two AZs, with an S3 gateway endpoint and flow logs of rejected traffic.

    Without NAT gateways (the default, the cheapest) the VPC has only public subnets: tasks get
    a public IP for pulling images and reading S3, and their security group admits only the
    ALB. With `nat_gateways` 1 or 2 the VPC also has private subnets with egress through NAT,
    for tasks without public IPs (`task_subnets`). With `isolated_subnets` it also has private
    subnets without any route out (free: no NAT), where an internal ALB behind a CloudFront VPC
    origin lives (the "cloudfront" way in).

    Attributes:
        vpc: the `ec2.Vpc`.
        task_subnets: where Fargate tasks run (private subnets with NAT, public subnets without).
        tasks_are_public: True when tasks run in public subnets and need a public IP.
        isolated_subnets: the PRIVATE_ISOLATED `ec2.SubnetSelection`, or None without `isolated_subnets`.
        flow_log: the `ec2.FlowLog` of rejected traffic.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        nat_gateways: int = 0,
        max_azs: int = 2,
        flow_log_retention_days: int = 30,
        isolated_subnets: bool = False,
    ) -> None:
        """
        Args:
            nat_gateways: 0 (default: public subnets only, no NAT cost), 1 or 2 (private subnets with NAT).
            max_azs: how many availability zones to span. Default 2 (an ALB needs at least two).
            flow_log_retention_days: retention of the flow-log log group. Default 30.
            isolated_subnets: add one PRIVATE_ISOLATED /24 subnet per AZ (after the others, so adding them
                moves no existing subnet). Default False.
        """
        super().__init__(scope, construct_id)
        if nat_gateways not in (0, 1, 2):
            raise ValueError(f"nat_gateways must be 0, 1 or 2, got {nat_gateways}")

        subnets = [ec2.SubnetConfiguration(name="Public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24)]
        if nat_gateways:
            subnets.append(
                ec2.SubnetConfiguration(name="Private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=24)
            )
        if isolated_subnets:
            subnets.append(
                ec2.SubnetConfiguration(name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24)
            )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            max_azs=max_azs,
            nat_gateways=nat_gateways,
            subnet_configuration=subnets,
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
        )
        self.tasks_are_public = nat_gateways == 0
        self.task_subnets = ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PUBLIC if self.tasks_are_public else ec2.SubnetType.PRIVATE_WITH_EGRESS
        )
        self.isolated_subnets = (
            ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED) if isolated_subnets else None
        )

        # Rejected flows are the security-relevant signal; logging accepted traffic too would multiply
        # the (per-GB) ingestion cost with every health check and page view.
        flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention_days(flow_log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.flow_log = self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group),
            traffic_type=ec2.FlowLogTrafficType.REJECT,
        )
