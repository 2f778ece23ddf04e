"""Who may frame an app, as headers: one rule for the waker's answers, the load balancer's listeners and
CloudFront's response headers policies (the runtime, shipped in the app's image without this package, keeps its
own copy in zerodash_runtime/headers.py).

- `Content-Security-Policy: frame-ancestors <sources>`, "'none'" for no sources.
- X-Frame-Options, for browsers that predate frame-ancestors: DENY when nobody may frame the app, SAMEORIGIN when
  only 'self' may, none for any other list, which it cannot express (browsers that know frame-ancestors ignore it
  when a frame-ancestors policy is present: CSP Level 3).
"""

from __future__ import annotations

from collections.abc import Sequence

SELF_SOURCE = "'self'"
NO_SOURCE = "'none'"


def frame_ancestors_value(sources: Sequence[str]) -> str:
    """The frame-ancestors source list (what FRAME_ANCESTORS carries): "'none'" when there are no sources."""
    return " ".join(sources) or NO_SOURCE


def frame_ancestors_policy(sources: Sequence[str]) -> str:
    return f"frame-ancestors {frame_ancestors_value(sources)}"


def frame_options(sources: Sequence[str]) -> str | None:
    """The X-Frame-Options value that says the same as `sources`, or None when none can."""
    if not sources:
        return "DENY"
    return "SAMEORIGIN" if tuple(sources) == (SELF_SOURCE,) else None
