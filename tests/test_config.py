"""Default paths come from the user's project, never from the folder leadscore is installed in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from leadscore import config
from leadscore.config import MARKER_FILE, find_project_root, is_project, write_marker

CHECKOUT = Path(__file__).resolve().parents[1]


def test_a_folder_without_marker_is_its_own_project(tmp_path: Path) -> None:
    work = tmp_path / "campaigns" / "q3"
    work.mkdir(parents=True)
    assert find_project_root(work, environ={}) == work.resolve()


def test_the_nearest_marked_folder_upward_is_the_project(tmp_path: Path) -> None:
    outer, inner = tmp_path / "team", tmp_path / "team" / "q3"
    deep = inner / "notebooks" / "drafts"
    deep.mkdir(parents=True)
    write_marker(outer)
    assert find_project_root(deep, environ={}) == outer.resolve()
    write_marker(inner)  # the nearest wins
    assert find_project_root(deep, environ={}) == inner.resolve()
    assert find_project_root(outer, environ={}) == outer.resolve()


@pytest.mark.parametrize(
    ("pyproject", "marked"),
    [
        ("[project]\nname = 'mine'\n\n[tool.leadscore]\n", True),
        ("[tool.leadscore]\nnote = 'kept here'\n", True),
        ("[project]\nname = 'mine'\n[tool.ruff]\nline-length = 100\n", False),
        ("[tool]\nleadscore = 3\n", False),  # a value, not a table
        ("[tool.leadscore\nbroken", False),  # someone else's broken file: no marker
    ],
)
def test_a_pyproject_marks_a_project_only_with_a_tool_leadscore_table(
    tmp_path: Path, pyproject: str, marked: bool
) -> None:
    (tmp_path / "pyproject.toml").write_text(pyproject)
    (tmp_path / "src").mkdir()
    assert is_project(tmp_path) is marked
    expected = tmp_path if marked else tmp_path / "src"
    assert find_project_root(tmp_path / "src", environ={}) == expected.resolve()


def test_leadscore_home_overrides_markers_and_an_empty_one_does_not(tmp_path: Path) -> None:
    write_marker(tmp_path / "project")
    pinned = tmp_path / "pinned"
    assert find_project_root(tmp_path / "project", {"LEADSCORE_HOME": str(pinned)}) == pinned
    found = find_project_root(tmp_path / "project", {"LEADSCORE_HOME": ""})
    assert found == (tmp_path / "project").resolve()


def test_the_checkout_is_a_project_for_make_and_the_notebooks() -> None:
    assert (CHECKOUT / MARKER_FILE).is_file()
    assert find_project_root(CHECKOUT / "notebooks", environ={}) == CHECKOUT
    assert (CHECKOUT / MARKER_FILE).read_text() == config.MARKER_TEXT


def _imported_root(cwd: Path, **env: str) -> Path:
    """``config.PROJECT_ROOT`` as a fresh ``python`` run in ``cwd`` sees it."""
    environ = {k: v for k, v in os.environ.items() if k != "LEADSCORE_HOME"} | env
    out = subprocess.run(
        [sys.executable, "-c", "from leadscore import config; print(config.PROJECT_ROOT)"],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(out.stdout.strip())


def test_an_installed_leadscore_writes_into_the_users_folder_not_its_own(tmp_path: Path) -> None:
    # leadscore is imported from the checkout (an editable install), run from elsewhere.
    mine = tmp_path / "my-leads"
    mine.mkdir()
    assert _imported_root(mine) == mine.resolve()
    write_marker(mine)
    (mine / "exports").mkdir()
    assert _imported_root(mine / "exports") == mine.resolve()
    assert _imported_root(mine, LEADSCORE_HOME=str(tmp_path / "pinned")) == tmp_path / "pinned"


def test_init_writes_the_marker_once_and_keeps_an_edited_one(tmp_path: Path) -> None:
    from leadscore.cli import app

    project = tmp_path / "q3"
    result = CliRunner().invoke(app, ["init", str(project)])
    assert result.exit_code == 0, result.output
    assert "written" in result.output
    assert (project / MARKER_FILE).read_text() == config.MARKER_TEXT
    (project / MARKER_FILE).write_text("# ours\n")
    result = CliRunner().invoke(app, ["init", str(project)])
    assert result.exit_code == 0 and "already there" in result.output
    assert (project / MARKER_FILE).read_text() == "# ours\n"
    (tmp_path / "file.txt").write_text("x")
    result = CliRunner().invoke(app, ["init", str(tmp_path / "file.txt")])
    assert result.exit_code == 1 and "is a file" in str(result.exception)
