"""The TLS certificate of the HTTPS listener, and the DNS names that point at the load balancer."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

# ACM's default quota of domain names per certificate (adjustable): "Quotas", ACM User Guide,
# https://docs.aws.amazon.com/acm/latest/userguide/acm-limits.html
DEFAULT_NAMES_PER_CERTIFICATE = 10
DUALSTACK = (elbv2.IpAddressType.DUAL_STACK, elbv2.IpAddressType.DUAL_STACK_WITHOUT_PUBLIC_IPV4)


class DomainCertificate(Construct):
    """The certificate for `domain_name` and every app host, made or imported.

    - With `hosted_zone_id` and `hosted_zone_name`: a new ACM certificate for `domain_name` with the app
      `hosts` as subject alternative names, validated through DNS records CloudFormation writes into that
      zone (the stack waits until ACM has issued it). `alias_to(load_balancer)` then adds Route 53 alias
      records for `domain_name` and each host to the load balancer: A, and AAAA too when the load balancer is
      dualstack (an AAAA alias to an IPv4-only ALB would resolve to nothing).
    - With `certificate_arn`: that certificate (it must be in the stack's region and cover the names); DNS is
      the user's, and `alias_to` adds nothing.

    Attributes:
        certificate: the `acm.ICertificate`.
        names: `domain_name` then the other hosts, each once.
        zone: the `route53.IHostedZone`, or None with `certificate_arn`.
        records: the alias `route53.ARecord`s and `route53.AaaaRecord`s (empty until `alias_to`).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        domain_name: str,
        hosts: Sequence[str] = (),
        hosted_zone_id: str | None = None,
        hosted_zone_name: str | None = None,
        certificate_arn: str | None = None,
    ) -> None:
        """
        Args:
            domain_name: the deployment's FQDN, e.g. "dash.example.com".
            hosts: further FQDNs apps are served on (their `host`), e.g. ["sales.example.com"]. Default none.
            hosted_zone_id: the Route 53 public hosted zone that holds `domain_name` and every host.
            hosted_zone_name: that zone's name, e.g. "example.com".
            certificate_arn: an existing ACM certificate instead (no DNS records are made).
        """
        super().__init__(scope, construct_id)
        has_zone = hosted_zone_id is not None or hosted_zone_name is not None
        if (hosted_zone_id is None) != (hosted_zone_name is None):
            raise ValueError("hosted_zone_id and hosted_zone_name go together")
        if has_zone == (certificate_arn is not None):
            raise ValueError("give either the hosted zone (hosted_zone_id and hosted_zone_name) or certificate_arn")
        self.names = list(dict.fromkeys(name.lower().rstrip(".") for name in [domain_name, *hosts]))
        self.records: list[route53.RecordSet] = []
        self.zone: route53.IHostedZone | None = None

        if certificate_arn is not None:
            self.certificate: acm.ICertificate = acm.Certificate.from_certificate_arn(
                self, "Certificate", certificate_arn
            )
            return

        assert hosted_zone_id is not None and hosted_zone_name is not None
        zone_name = hosted_zone_name.lower().rstrip(".")
        outside = [name for name in self.names if name != zone_name and not name.endswith(f".{zone_name}")]
        if outside:
            raise ValueError(f"{', '.join(outside)} not in the hosted zone {zone_name}: DNS validation needs it there")
        if len(self.names) > DEFAULT_NAMES_PER_CERTIFICATE:
            Annotations.of(self).add_warning_v2(
                "zerodash:certificate-names",
                f"the certificate covers {len(self.names)} names; ACM allows {DEFAULT_NAMES_PER_CERTIFICATE} per "
                "certificate unless the quota 'Domain names per ACM certificate' was raised",
            )
        self.zone = route53.HostedZone.from_hosted_zone_attributes(
            self, "Zone", hosted_zone_id=hosted_zone_id, zone_name=zone_name
        )
        self.certificate = acm.Certificate(
            self,
            "Certificate",
            domain_name=self.names[0],
            subject_alternative_names=self.names[1:] or None,
            validation=acm.CertificateValidation.from_dns(self.zone),
        )

    def alias_to(self, load_balancer: elbv2.IApplicationLoadBalancer) -> list[route53.RecordSet]:
        """Point every name at `load_balancer` (alias A, and AAAA when it is dualstack); nothing without a zone.
        Returns (and keeps in `records`) the records made."""
        if self.zone is None:
            return []
        target = route53.RecordTarget.from_alias(targets.LoadBalancerTarget(load_balancer))
        dualstack = load_balancer.ip_address_type in DUALSTACK
        # Named after the DNS name, so adding or reordering hosts leaves the other records alone.
        for name in self.names:
            self.records.append(route53.ARecord(self, f"A-{name}", zone=self.zone, record_name=name, target=target))
            if dualstack:
                self.records.append(
                    route53.AaaaRecord(self, f"AAAA-{name}", zone=self.zone, record_name=name, target=target)
                )
        return self.records
