"""AWS errors as boto3 raises them, so the code under test handles the twin's errors exactly as AWS's."""

from __future__ import annotations

from botocore.exceptions import ClientError


def client_error(code: str, message: str, operation: str, status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


def throttled(service: str, operation: str) -> ClientError:
    """The throttling error each service documents (ELB and ECS: ThrottlingException, "Rate exceeded")."""
    code = {"cloudwatch": "Throttling", "ssm": "ThrottlingException"}.get(service, "ThrottlingException")
    return client_error(code, "Rate exceeded", operation)
