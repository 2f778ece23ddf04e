"""A throwaway S3 on loopback (moto server) holding the files an app should load.

Used by `make dev` (an app's data/ directory, uploaded under its DATA_PREFIX as a deploy does), the
end-to-end tests and the benchmarks. Needs moto (requirements-dev.txt). The server runs in its own process
so its state never mixes with `moto.mock_aws` in the caller, and it is started
in a new session so a Ctrl-C in the terminal reaches only the caller, which
then stops it.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

REGION = "us-east-1"
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
_STOP_TIMEOUT_S = 10

# Binds port 0 so the OS picks a free port, then reports it on stdout.
_SERVE = """
import logging, threading
from moto.server import ThreadedMotoServer
logging.getLogger("werkzeug").setLevel(logging.WARNING)
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
threading.Event().wait()
"""


@dataclass(frozen=True)
class LocalS3:
    endpoint_url: str
    bucket: str
    keys: tuple[str, ...]

    def env(self, *, data_prefix: str | None = None) -> dict[str, str]:
        """Environment for the app: endpoint, fake credentials, BUCKET_NAME, and DATA_PREFIX when given."""
        env = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_DEFAULT_REGION": REGION,
            **FAKE_CREDENTIALS,
            "BUCKET_NAME": self.bucket,
        }
        if data_prefix is not None:
            env["DATA_PREFIX"] = data_prefix
        return env


def start_moto_server() -> tuple[subprocess.Popen[str], str]:
    """Start a moto server process on 127.0.0.1 and return it with its endpoint URL."""
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    try:
        port_line = process.stdout.readline().strip()
    except BaseException:  # e.g. Ctrl-C while waiting: do not leave the server behind
        stop_process(process)
        raise
    if not port_line.isdigit():
        stop_process(process)
        raise RuntimeError(f"moto server did not start (exit code {process.returncode})")
    return process, f"http://127.0.0.1:{port_line}"


def stop_process(process: subprocess.Popen[Any]) -> None:
    """Terminate a child politely, then kill it if it does not go."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdout is not None:
        process.stdout.close()


def directory_files(directory: Path | None, prefix: str = "") -> dict[str, Path]:
    """{key: path} for every file under `directory` (recursively), keyed `prefix` + its relative POSIX path.

    What a deploy uploads from an app's data/ directory to s3://<bucket>/<app name>/; None or a missing
    directory gives no files.
    """
    if directory is None or not directory.is_dir():
        return {}
    return {
        prefix + path.relative_to(directory).as_posix(): path
        for path in sorted(directory.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts and path.name != ".DS_Store"
    }


def upload(endpoint_url: str, bucket: str, files: Mapping[str, Path]) -> None:
    """Create the bucket and put each file under its key."""
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    s3.create_bucket(Bucket=bucket)
    for key, path in files.items():
        s3.upload_file(str(path), bucket, key)


@contextmanager
def local_s3(bucket: str, files: Mapping[str, Path]) -> Iterator[LocalS3]:
    """Run a moto S3 on a free loopback port with `files` ({key: path}, maybe none) uploaded to `bucket`."""
    process, endpoint_url = start_moto_server()
    try:
        upload(endpoint_url, bucket, files)
        yield LocalS3(endpoint_url=endpoint_url, bucket=bucket, keys=tuple(files))
    finally:
        stop_process(process)
