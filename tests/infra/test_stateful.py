"""The stateful stack: ECR repository and data bucket."""

from __future__ import annotations

from aws_cdk.assertions import Match, Template

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


def test_sample_data_is_copied_into_the_bucket_root_without_pruning(stateful: Template) -> None:
    bucket_id = _data_bucket_id(stateful)
    stateful.has_resource_properties(
        BUCKET_DEPLOYMENT,
        {"DestinationBucketName": {"Ref": bucket_id}, "Prune": False, "DestinationBucketKeyPrefix": Match.absent()},
    )


def test_no_sample_data_is_deployed_when_sample_data_is_false(nat_build: Build) -> None:
    nat_build.template(nat_build.stacks.stateful).resource_count_is(BUCKET_DEPLOYMENT, 0)


def test_outputs_repository_uri_and_bucket_name(stateful: Template) -> None:
    stateful.has_output("RepositoryUri", {"Value": Match.any_value()})
    stateful.has_output("BucketName", {"Value": {"Ref": _data_bucket_id(stateful)}})
