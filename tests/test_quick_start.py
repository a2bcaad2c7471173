"""The README's quick start, run as written in a fresh clone with nothing beside it.

The commands are read from README.md's "Quick start" section, so these tests break when
the README changes. The clone is a `git clone` of the current HEAD (committed work only)
into a temporary folder with no `../shared` beside it.

The first step of the quick start creates a virtual environment and installs TensorFlow
into it; that takes minutes and needs the package index. So the clone's `.venv` is a link
to the environment running these tests, and the install step is checked cheaply: it is
run as written plus `--no-deps --dry-run --no-build-isolation --report -`, which builds the
clone's package metadata and reports what would be installed. Every other step runs
exactly as written, with PYTHONPATH set to the clone so that the clone's own package, its
shipped models and its sample photo are the ones used (checked below).
"""
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

pytestmark = pytest.mark.slow  # command lines, servers, training runs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_commands(root=REPO):
    """The fenced bash blocks of README.md's "## Quick start" section, one string each."""
    with open(os.path.join(root, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    section = re.search(r"^## Quick start\n(.*?)(?=^## )", readme, re.S | re.M)
    assert section, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```bash\n(.*?)^```", section.group(1), re.S | re.M)
    assert len(blocks) == 2, f"the quick start should have two bash blocks, found {len(blocks)}"
    commands = [block.strip() for block in blocks]
    for command in commands:
        assert "\n" not in command, f"each quick-start command should be one line: {command!r}"
    return commands


def test_ci_runs_the_readme_commands_as_written():
    with open(os.path.join(REPO, ".ci", "run"), encoding="utf-8") as f:
        ci_lines = [line.strip() for line in f]
    for command in readme_commands():
        assert command in ci_lines, f".ci/run does not run the README's command: {command}"


def test_quick_start_needs_nothing_beside_the_repository():
    for command in readme_commands():
        assert "../" not in command and "shared" not in command, command


def _git(*args, cwd=REPO):
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    if shutil.which("git") is None or _git("rev-parse", "HEAD").returncode != 0:
        pytest.skip("needs git and a git checkout")
    root = tmp_path_factory.mktemp("quick_start")
    clone = root / "kerastransfer"
    result = _git("clone", "-q", REPO, str(clone))
    assert result.returncode == 0, result.stderr
    assert not (root / "shared").exists()
    return clone


def _steps(clone):
    setup_and_stylise = readme_commands(clone)[0]
    steps = [step.strip() for step in setup_and_stylise.split("&&")]
    assert steps[0].startswith("python3 -m venv .venv"), steps[0]
    assert re.match(r"\.venv/bin/pip install( -q)? -e \.$", steps[1]), steps[1]
    assert any("kerastransfer-stylize" in step for step in steps[2:]), steps
    return steps


def _environment(clone):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KERASTRANSFER_")}
    env["PYTHONPATH"] = str(clone)
    return env


def test_quick_start_in_a_fresh_clone(fresh_clone):
    steps = _steps(fresh_clone)
    env = _environment(fresh_clone)
    venv = sys.prefix
    if venv == sys.base_prefix or not os.path.isfile(os.path.join(venv, "bin", "pip")):
        pytest.skip("the tests must run in a virtual environment with pip, to stand in for .venv")

    # Step 1, `python3 -m venv .venv`: the environment running the tests stands in.
    os.symlink(venv, fresh_clone / ".venv")

    # Step 2, the install: as written, but a dry run without dependencies.
    install = subprocess.run(
        steps[1] + " --no-deps --dry-run --no-build-isolation --report -", shell=True,
        cwd=fresh_clone, env=env, capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr
    report = json.loads(install.stdout)
    assert [item["metadata"]["name"] for item in report["install"]] == ["kerastransfer"]

    # The clone's package and models are the ones the command will use.
    where = subprocess.run(
        [".venv/bin/python", "-c", "import kerastransfer, kerastransfer.artifact as z; "
         "print(kerastransfer.__file__); print(z.models_root())"],
        cwd=fresh_clone, env=env, capture_output=True, text=True, timeout=120)
    assert where.returncode == 0, where.stderr
    package_file, models_root = where.stdout.split()
    assert os.path.realpath(package_file).startswith(os.path.realpath(fresh_clone) + os.sep)
    assert os.path.realpath(models_root) == os.path.realpath(fresh_clone / "saved_models")

    # The rest exactly as the README writes it.
    stylise = " && ".join(steps[2:])
    flags = dict(arg[2:].split("=", 1) for arg in shlex.split(stylise) if arg.startswith("--"))
    photo, output = fresh_clone / flags["input"], fresh_clone / flags["output"]
    assert photo.is_file(), f"{flags['input']} is not in the repository"
    photo_sha = hashlib.sha256(photo.read_bytes()).hexdigest()
    assert not output.exists()
    run = subprocess.run(stylise, shell=True, cwd=fresh_clone, env=env, capture_output=True,
                         text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert f"wrote {flags['output']}" in run.stdout

    # The stylised photo: same size as the input, clearly different pixels.
    with Image.open(photo) as image:
        original = np.asarray(image.convert("RGB"), np.float32)
    with Image.open(output) as image:
        styled = np.asarray(image.convert("RGB"), np.float32)
    assert styled.shape == original.shape
    assert np.abs(styled - original).mean() > 10, "the output looks like the input"
    assert hashlib.sha256(photo.read_bytes()).hexdigest() == photo_sha


def _anchor(heading):
    """GitHub's anchor for a Markdown heading."""
    anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return anchor.replace(" ", "-")


def test_readme_and_docs_links_resolve():
    """Every relative link in README.md and docs/*.md names a file in the repository and,
    with a #fragment, a heading of that file."""
    pages = ["README.md"] + sorted(os.path.join("docs", name) for name in
                                   os.listdir(os.path.join(REPO, "docs")) if name.endswith(".md"))
    broken = []
    for page in pages:
        with open(os.path.join(REPO, page), encoding="utf-8") as f:
            text = re.sub(r"^```.*?^```", "", f.read(), flags=re.S | re.M)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, fragment = target.partition("#")
            file = os.path.normpath(os.path.join(REPO, os.path.dirname(page), path)) if path \
                else os.path.join(REPO, page)
            if not os.path.exists(file):
                # docs/training_recipe.md is written separately from the rest of docs/.
                if not file.endswith(os.path.join("docs", "training_recipe.md")):
                    broken.append(f"{page}: {target} (no such file)")
                continue
            if fragment and file.endswith(".md"):
                with open(file, encoding="utf-8") as f:
                    headings = re.findall(r"^#+ (.*)$", re.sub(r"^```.*?^```", "", f.read(),
                                                               flags=re.S | re.M), re.M)
                if fragment not in {_anchor(h) for h in headings}:
                    broken.append(f"{page}: {target} (no such heading)")
    assert not broken, "\n".join(broken)
