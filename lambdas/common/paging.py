"""Batches and pages of AWS calls: split what one call cannot take, follow NextToken to the last page."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def chunks(items: Sequence[T], size: int) -> list[Sequence[T]]:
    """`items` in slices of at most `size` (an API's limit per call)."""
    return [items[index : index + size] for index in range(0, len(items), size)]


def pages(call: Callable[..., dict[str, Any]], **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every page of a paginated call, passing each NextToken back until there is none."""
    while True:
        page = call(**kwargs)
        yield page
        if not page.get("NextToken"):
            return
        kwargs["NextToken"] = page["NextToken"]
