"""zerodash.images.push: logs in to ECR with the token's password on stdin, then pushes; the password never
appears on a command line (any user's `ps` shows those)."""

from __future__ import annotations

import base64

import pytest

from zerodash import images

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
PASSWORD = "s3cr3t-token-password"


class FakeEcr:
    def get_authorization_token(self) -> dict:
        token = base64.b64encode(f"AWS:{PASSWORD}".encode()).decode()
        return {"authorizationData": [{"authorizationToken": token}]}


@pytest.mark.parametrize("builder", ["docker", "buildah"])
def test_push_logs_in_through_stdin_and_pushes(builder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[list[str], str | None]] = []
    monkeypatch.setattr(
        images, "_check_output", lambda command, *, timeout=120, stdin=None: calls.append((command, stdin)) or ""
    )

    pushed = images.push(
        "localhost/zerodash/sales:src-1",
        f"{REGISTRY}/sales:src-1",
        builder=builder,
        ecr_client=FakeEcr(),
        progress=lambda _: None,
    )

    assert pushed == f"{REGISTRY}/sales:src-1"
    assert calls[0] == ([builder, "login", "--username", "AWS", "--password-stdin", REGISTRY], PASSWORD)
    assert any("push" in command for command, _ in calls[1:])
    assert not any(PASSWORD in " ".join(command) for command, _ in calls)


def test_a_registry_outside_ecr_is_pushed_to_without_logging_in(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    monkeypatch.setattr(
        images, "_check_output", lambda command, *, timeout=120, stdin=None: calls.append(command) or ""
    )

    images.push("localhost/zerodash/sales:src-1", "registry.example.com/sales:src-1", builder="buildah", progress=print)

    assert calls == [["buildah", "push", "localhost/zerodash/sales:src-1", "docker://registry.example.com/sales:src-1"]]
