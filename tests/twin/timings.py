"""How long things take in the twin, each with its source, or marked ASSUMPTION where AWS documents no figure.

Ranges are (low, high) seconds, drawn uniformly per event from the simulator's seeded generator.
The research notes behind these figures are summarized in tests/twin/README.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Timings:
    # --- AWS API -------------------------------------------------------------------------------------
    # ASSUMPTION: one control-plane call's round trip from Lambda in the same Region.
    api_call: tuple[float, float] = (0.02, 0.08)
    # ASSUMPTION: ELB documents no propagation time for rule changes; community reports of
    # aws-load-balancer-controller see seconds. Requests keep the old routing until the change lands.
    rule_propagation: tuple[float, float] = (1.0, 5.0)
    # ASSUMPTION: Application Auto Scaling applies a new range to the ECS desired count asynchronously.
    autoscaling_apply: tuple[float, float] = (0.5, 5.0)
    # ASSUMPTION: the ECS service scheduler acts on a desired-count change within seconds.
    ecs_scheduler: tuple[float, float] = (1.0, 3.0)

    # --- A Fargate task's start (ECS task lifecycle: PROVISIONING -> PENDING -> ACTIVATING -> RUNNING) --
    # "for each task in awsvpc mode, Amazon ECS workflows need to provision and attach an ENI ... which
    # adds an overhead of several seconds to your task launches" (ECS best practices, task networking).
    # ASSUMPTION for the figure: capacity placement plus ENI, 8-20 s (community reports put a whole task
    # start at 30-45 s, re:Post).
    provisioning: tuple[float, float] = (8.0, 20.0)
    # PENDING: "waiting on the container agent"; ASSUMPTION: 1-4 s.
    pending: tuple[float, float] = (1.0, 4.0)
    # ACTIVATING "pulls the container images, creates the containers, configures the task networking,
    # registers load balancer target groups". Fargate caches no image: "the whole container image needs to
    # be pulled ... for each Fargate task" (Fargate pull behavior). ASSUMPTION: 30-60 MB/s from ECR for a
    # 0.5 vCPU task, plus extraction of the uncompressed size at 80-150 MB/s (no AWS figure exists).
    download_mb_per_second: tuple[float, float] = (30.0, 60.0)
    extract_mb_per_second: tuple[float, float] = (80.0, 150.0)
    # ZeroDash's image: compressed (what ECR stores and Fargate downloads) and uncompressed, in MB, measured
    # on the image `make image` builds: `podman save | gzip -6` 110 MB, `| zstd -3` 101 MB, 337 MB unpacked.
    image_compressed_mb: float = 110.0
    image_compressed_zstd_mb: float = 101.0
    image_uncompressed_mb: float = 337.0
    # Container created and target registered, after the pull; ASSUMPTION: 1-2 s.
    register: tuple[float, float] = (1.0, 2.0)
    # The app's own start to a 200 on /health at 0.5 vCPU: measured in the container test (1.6 s with
    # the sample data, README, Performance); S3 from inside AWS is no slower than the local stand-in.
    app_start: tuple[float, float] = (1.5, 2.5)

    # --- Lambda ----------------------------------------------------------------------------------------
    # ASSUMPTION: a Python function's cold start (runtime init and our imports); AWS gives no figure.
    lambda_init: tuple[float, float] = (0.3, 0.8)
    # ASSUMPTION: how long an idle execution environment is kept before a new one is needed.
    lambda_keep_warm: float = 600.0

    # --- CloudWatch ------------------------------------------------------------------------------------
    # ELB "measures and sends its metrics in 60-second intervals" (ALB CloudWatch metrics). The delay
    # before a minute's datapoint can be read is not documented: the design notes' 1-3 minutes after the
    # minute ends, taken as the range.
    metric_publication: tuple[float, float] = (60.0, 180.0)

    # --- Browser ---------------------------------------------------------------------------------------
    # A person's reaction after an error page: reload after a few seconds.
    person_retry: tuple[float, float] = (3.0, 8.0)

    def pull_seconds(self, draw_download: float, draw_extract: float, *, zstd: bool = False) -> float:
        """Image pull time for one draw of the two rates. zstd layers download smaller and, AWS's containers
        blog says, cut task start "up to" 27%: applied here to the extraction, as the most it can save."""
        download = (self.image_compressed_zstd_mb if zstd else self.image_compressed_mb) / draw_download
        extract = self.image_uncompressed_mb / draw_extract
        return download + (extract * 0.73 if zstd else extract)


DEFAULT_TIMINGS = Timings()
