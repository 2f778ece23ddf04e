"""zerodash.sources: what an app brings, and the content-hash tag that decides whether it is rebuilt."""

from __future__ import annotations

from pathlib import Path

import pytest

from zerodash import sources
from zerodash.sources import ImageReference, SourceError, content_tag, image_files, inspect_app, parse_image


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


@pytest.fixture
def dash_app(tmp_path: Path) -> Path:
    return write(
        tmp_path / "sales",
        {
            "app.py": "app = None\n",
            "requirements.txt": "dash==4.4.1\n",
            "layout.py": "TITLE = 'x'\n",
            "data/orders.csv": "a,b\n1,2\n",
        },
    )


def tag_of(directory: Path, **kwargs: str) -> str:
    return content_tag(inspect_app("sales", source=str(directory), root=directory.parent, **kwargs))


def test_a_folder_with_app_py_is_built_around_the_runtime(dash_app: Path) -> None:
    source = inspect_app("sales", source="sales", root=dash_app.parent)

    assert (source.kind, source.directory, source.module, source.builds) == ("runtime", dash_app, "app", True)


def test_a_folder_with_a_dockerfile_is_built_as_it_is(tmp_path: Path) -> None:
    write(tmp_path / "bokeh", {"Dockerfile": "FROM scratch\n", "app.py": "app = None\n"})

    assert inspect_app("bokeh", source="bokeh", root=tmp_path).kind == "dockerfile"


@pytest.mark.parametrize(
    ("files", "kwargs", "message"),
    [
        ({"README.md": "x"}, {}, "has neither app.py nor a Dockerfile"),
        ({"app.py": "app = 1\n"}, {}, "has no requirements.txt"),
        ({"app.py": "", "requirements.txt": ""}, {"module": "main:server"}, "has no main.py for module 'main:server'"),
        ({"app.py": "", "requirements.txt": ""}, {"module": "main server"}, 'must be "module" or "module:attribute"'),
        ({"Dockerfile": "FROM scratch\n"}, {"module": "app"}, '"module" is for app.py apps'),
    ],
)
def test_an_unusable_folder_gets_one_message_naming_the_app(tmp_path, files, kwargs, message) -> None:
    write(tmp_path / "sales", files)

    with pytest.raises(SourceError) as caught:
        inspect_app("sales", source="sales", root=tmp_path, **kwargs)

    assert str(caught.value).startswith("app 'sales': ")
    assert message in str(caught.value)


def test_a_missing_folder_and_a_source_with_an_image_are_refused(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is not a directory"):
        inspect_app("sales", source="nowhere", root=tmp_path)
    with pytest.raises(SourceError, match="exactly one of"):
        inspect_app("sales", source="nowhere", image="sales:1", root=tmp_path)


def test_the_tag_is_stable_and_hex(dash_app: Path) -> None:
    tag = tag_of(dash_app)

    assert tag == tag_of(dash_app)
    assert tag.startswith("src-") and len(tag) == 4 + 20 and int(tag[4:], 16) >= 0


def test_changing_a_file_of_the_app_changes_its_tag(dash_app: Path) -> None:
    before = tag_of(dash_app)
    (dash_app / "layout.py").write_text("TITLE = 'y'\n")

    assert tag_of(dash_app) != before


def test_data_caches_and_bytecode_do_not_change_a_runtime_apps_tag(dash_app: Path) -> None:
    before = tag_of(dash_app)
    write(dash_app, {"data/orders.csv": "a,b\n3,4\n", "__pycache__/app.cpython-311.pyc": "x", "layout.pyc": "x"})

    assert tag_of(dash_app) == before
    assert [path.as_posix() for path in image_files(inspect_app("sales", source="sales", root=dash_app.parent))] == [
        "app.py",
        "layout.py",
        "requirements.txt",
    ]


def test_a_dockerfile_apps_data_is_part_of_its_image_and_tag(tmp_path: Path) -> None:
    app = write(tmp_path / "bokeh", {"Dockerfile": "FROM scratch\nCOPY data /data\n", "data/x.csv": "1\n"})
    before = content_tag(inspect_app("bokeh", source="bokeh", root=tmp_path))
    (app / "data" / "x.csv").write_text("2\n")

    assert content_tag(inspect_app("bokeh", source="bokeh", root=tmp_path)) != before


def test_the_runtime_and_the_module_are_part_of_a_runtime_apps_tag(dash_app, tmp_path, monkeypatch) -> None:
    before = tag_of(dash_app)
    assert tag_of(dash_app, module="app:server") != before

    runtime = write(tmp_path / "runtime", {"wsgi.py": "application = None\n"})
    monkeypatch.setattr(sources, "RUNTIME_DIR", runtime)
    with_runtime = tag_of(dash_app)
    (runtime / "wsgi.py").write_text("application = 1\n")

    assert tag_of(dash_app) != with_runtime


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        ("sales:1.4.2", ImageReference(repository="sales", tag="1.4.2")),
        ("team/sales@sha256:" + "a" * 64, ImageReference(repository="team/sales", digest="sha256:" + "a" * 64)),
        ("public.ecr.aws/org/panel:2", ImageReference(repository="org/panel", tag="2", registry="public.ecr.aws")),
        ("localhost:5000/app:dev", ImageReference(repository="app", tag="dev", registry="localhost:5000")),
    ],
)
def test_an_image_reference_is_a_repository_with_a_tag_or_digest(image: str, expected: ImageReference) -> None:
    reference = parse_image("sales", image)

    assert reference == expected
    assert str(reference) == image


@pytest.mark.parametrize("image", ["sales", "sales:latest", "Sales:1", "sales@sha256:abc", ""])
def test_an_image_without_a_fixed_tag_or_digest_is_refused(image: str) -> None:
    with pytest.raises(SourceError, match="app 'sales': image"):
        parse_image("sales", image)
