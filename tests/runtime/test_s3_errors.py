"""What a failed S3 read tells the app's owner: the errors moto cannot produce (it enforces no permissions) are
answered by botocore's Stubber, so the message the runtime shows on /health is the one AWS would cause."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from zerodash_runtime.data import s3
from zerodash_runtime.data.state import DataLoadError

BUCKET, KEY = "zerodash-data", "sales/orders.csv"


@pytest.fixture
def stubbed(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    s3._clients.clear()
    client = s3.client()
    with Stubber(client) as stubber:
        yield stubber
    s3._clients.clear()


@pytest.mark.parametrize(
    ("code", "status", "says"),
    [
        ("AccessDenied", 403, "access to s3://zerodash-data/sales/orders.csv denied: the task role may read only"),
        ("NoSuchKey", 404, "s3://zerodash-data/sales/orders.csv not found: put the file in the app's data/"),
        ("NoSuchBucket", 404, "bucket zerodash-data does not exist"),
        ("SlowDown", 503, "reading s3://zerodash-data/sales/orders.csv failed with SlowDown"),
    ],
)
def test_a_failed_read_names_the_object_and_what_to_fix(stubbed: Stubber, code: str, status: int, says: str) -> None:
    stubbed.add_client_error("get_object", service_error_code=code, http_status_code=status)

    with pytest.raises(DataLoadError) as caught, s3.open_object(BUCKET, KEY):
        pass

    assert says in str(caught.value)


def test_an_unset_bucket_is_named_before_any_call() -> None:
    with pytest.raises(DataLoadError, match=r"BUCKET_NAME is not set, so sales/orders\.csv cannot be read"):
        s3.object_etag(None, KEY)
