"""The stateful stack: one ECR repository per built app, and the data bucket with each app's data uploaded."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

from infra.stacks.stateful import repository_output_key
from tests.infra.conftest import Build

BUCKET_DEPLOYMENT = "Custom::CDKBucketDeployment"


def _data_bucket_id(template: Template) -> str:
    """The logical id of the versioned bucket (the log bucket is not versioned)."""
    buckets = template.find_resources(
        "AWS::S3::Bucket", {"Properties": {"VersioningConfiguration": {"Status": "Enabled"}}}
    )
    assert len(buckets) == 1
    return next(iter(buckets))


def test_repository_tags_are_immutable_and_scanned_on_push(stateful: Template) -> None:
    # given the default configuration, when synthesized, then
    stateful.has_resource_properties(
        "AWS::ECR::Repository",
        {"ImageTagMutability": "IMMUTABLE", "ImageScanningConfiguration": {"ScanOnPush": True}},
    )


def test_repository_keeps_only_the_newest_ten_images(stateful: Template) -> None:
    stateful.has_resource_properties(
        "AWS::ECR::Repository",
        {
            "LifecyclePolicy": {
                "LifecyclePolicyText": Match.serialized_json(
                    {
                        "rules": [
                            Match.object_like(
                                {
                                    "selection": Match.object_like(
                                        {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 10}
                                    ),
                                    "action": {"type": "expire"},
                                }
                            )
                        ]
                    }
                )
            }
        },
    )


def test_repository_is_retained_by_default(stateful: Template) -> None:
    stateful.has_resource("AWS::ECR::Repository", {"DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain"})


def test_repository_is_destroyed_with_its_images_when_retain_data_is_false(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.stateful)
    template.has_resource(
        "AWS::ECR::Repository",
        {"DeletionPolicy": "Delete", "Properties": Match.object_like({"EmptyOnDelete": True})},
    )


def test_data_bucket_blocks_all_public_access(stateful: Template) -> None:
    stateful.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
        },
    )


def test_data_bucket_policy_denies_requests_without_tls(stateful: Template) -> None:
    bucket_id = _data_bucket_id(stateful)
    stateful.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Principal": {"AWS": "*"},
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_data_bucket_is_encrypted_with_s3_managed_keys(stateful: Template) -> None:
    stateful.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "VersioningConfiguration": {"Status": "Enabled"},
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
            },
        },
    )


def test_data_bucket_is_retained_by_default(stateful: Template) -> None:
    stateful.has_resource(
        "AWS::S3::Bucket",
        {
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": Match.object_like({"VersioningConfiguration": {"Status": "Enabled"}}),
        },
    )


def test_data_bucket_writes_server_access_logs_to_the_log_bucket(stateful: Template) -> None:
    log_buckets = stateful.find_resources(
        "AWS::S3::Bucket", {"Properties": {"VersioningConfiguration": Match.absent()}}
    )
    assert len(log_buckets) == 1
    stateful.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "LoggingConfiguration": {
                "DestinationBucketName": {"Ref": next(iter(log_buckets))},
                "LogFilePrefix": "data-bucket/",
            }
        },
    )


def test_log_bucket_expires_logs_after_the_log_retention(stateful: Template) -> None:
    stateful.has_resource_properties(
        "AWS::S3::Bucket",
        {"LifecycleConfiguration": {"Rules": [Match.object_like({"ExpirationInDays": 30, "Status": "Enabled"})]}},
    )


def test_buckets_are_emptied_and_deleted_when_retain_data_is_false(nat_build: Build) -> None:
    template = nat_build.template(nat_build.stacks.stateful)
    template.resource_count_is("Custom::S3AutoDeleteObjects", 2)
    template.all_resources("AWS::S3::Bucket", {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"})


def test_apps_data_directory_is_copied_under_its_name_without_pruning(stateful: Template) -> None:
    # given the default app (examples/population, which has data/), then data/ lands under "dashboard/", and
    # prune is off so users' own uploads survive every deploy
    bucket_id = _data_bucket_id(stateful)
    stateful.resource_count_is(BUCKET_DEPLOYMENT, 1)
    stateful.has_resource_properties(
        BUCKET_DEPLOYMENT,
        {"DestinationBucketName": {"Ref": bucket_id}, "Prune": False, "DestinationBucketKeyPrefix": "dashboard/"},
    )


def test_only_apps_with_a_data_directory_get_an_upload(three_apps_build: Build) -> None:
    # given three apps of which only examples/population has data/ (bokeh and pages do not)
    template = three_apps_build.template(three_apps_build.stacks.stateful)
    prefixes = [
        resource["Properties"]["DestinationBucketKeyPrefix"]
        for resource in template.find_resources(BUCKET_DEPLOYMENT).values()
    ]
    expected = [f"{app.name}/" for app in three_apps_build.config.apps if (app.app_source.directory / "data").is_dir()]
    assert sorted(prefixes) == sorted(expected)
    assert "dashboard/" in prefixes


def test_no_sample_data_is_deployed_when_sample_data_is_false(nat_build: Build) -> None:
    nat_build.template(nat_build.stacks.stateful).resource_count_is(BUCKET_DEPLOYMENT, 0)


def test_repository_output_key_is_the_app_name_in_pascal_case() -> None:
    assert repository_output_key("dashboard") == "RepositoryUriDashboard"
    assert repository_output_key("sales-eu-2") == "RepositoryUriSalesEu2"


def test_each_built_app_gets_its_own_repository_and_output(three_apps_build: Build) -> None:
    template = three_apps_build.template(three_apps_build.stacks.stateful)
    template.resource_count_is("AWS::ECR::Repository", 3)
    for name in ("dashboard", "bokeh", "pages"):
        template.has_output(
            repository_output_key(name),
            {"Value": {"Fn::Join": ["", Match.array_with([{"Ref": Match.string_like_regexp(f"Registry{name}")}])]}},
        )


def test_apps_that_bring_an_image_get_no_repository(image_apps_build: Build) -> None:
    template = image_apps_build.template(image_apps_build.stacks.stateful)
    template.resource_count_is("AWS::ECR::Repository", 0)
    assert not [key for key in template.find_outputs("*") if key.startswith("RepositoryUri")]


def test_outputs_repository_uri_and_bucket_name(stateful: Template) -> None:
    stateful.has_output("RepositoryUriDashboard", {"Value": Match.any_value()})
    stateful.has_output("BucketName", {"Value": {"Ref": _data_bucket_id(stateful)}})
