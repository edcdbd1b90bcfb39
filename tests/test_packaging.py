"""Packaging contracts: `pip install .` gives the `audiodiag` command with the dashboard and the sample sets in the
wheel, `audiodiag app` starts the dashboard, and the Dockerfile self-hosts it (CPU torch, non-root, health check).

Docker itself is not run here; the Dockerfile is checked as text.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from audiodiag import cli
from audiodiag.cli import commands

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
DOCKERFILE = ROOT / "Dockerfile"
BUILD_COPY_IGNORE = shutil.ignore_patterns(".git", ".venv", ".pytest_cache", "__pycache__", "*.pyc", "test-artifacts",
                                           "build", "dist", "*.egg-info", "secrets.toml")


def _pyproject() -> dict:
    return tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))


def _requirements(name: str) -> list[Requirement]:
    """PEP 508 lines of a requirements file; a line setuptools cannot read as one (an option, `-r`) fails here."""
    lines = [line.split("#", 1)[0].strip() for line in (ROOT / name).read_text(encoding="utf-8").splitlines()]
    return [Requirement(line) for line in lines if line]


def _source_files(folder: str, pattern: str) -> set[str]:
    return {p.relative_to(ROOT).as_posix() for p in (ROOT / folder).rglob(pattern)
            if p.is_file() and "__pycache__" not in p.parts}


def test_pyproject_reads_requirements_txt_and_keeps_the_no_deps_wheels_out():
    project = _pyproject()
    assert set(project["project"]["dynamic"]) == {"version", "dependencies"}
    assert project["tool"]["setuptools"]["dynamic"]["dependencies"] == {"file": ["requirements.txt"]}
    pinned = {r.name.lower() for r in _requirements("requirements.txt")}
    assert {"streamlit", "torch", "ray"} <= pinned
    no_deps = {r.name.lower() for r in _requirements("requirements-nodeps.txt")}
    assert no_deps == {"openwakeword", "aisfx", "resemblyzer"} and not no_deps & pinned
    assert project["project"]["scripts"] == {"audiodiag": "audiodiag.cli:main"}


def test_every_audiodiag_subpackage_is_listed_for_the_wheel():
    """Packages are listed in pyproject.toml (discovery from the root would take tests/ and benchmarks/ too)."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {p.parent.relative_to(ROOT).as_posix().replace("/", ".") for p in (ROOT / "audiodiag").rglob("__init__.py")}
    assert on_disk - listed == set(), f"add {sorted(on_disk - listed)} to [tool.setuptools] packages in pyproject.toml"


@pytest.mark.slow
def test_wheel_holds_the_library_the_dashboard_and_the_samples_only(tmp_path):
    setuptools = pytest.importorskip("setuptools", reason="building the wheel offline needs setuptools installed")
    if int(setuptools.__version__.split(".")[0]) < 77:
        pytest.skip(f"setuptools {setuptools.__version__} is older than pyproject.toml's build requirement (77)")
    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=BUILD_COPY_IGNORE)  # build outputs land in the copy, not the checkout
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                           "-w", str(tmp_path / "wheel"), str(source)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (tmp_path / "wheel").glob("audiodiag-*.whl")
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        dist_info = next(n.split("/")[0] for n in names if n.endswith(".dist-info/METADATA"))
        entry_points = z.read(f"{dist_info}/entry_points.txt").decode()
        metadata = z.read(f"{dist_info}/METADATA").decode()

    assert {n.split("/")[0] for n in names} == {"audiodiag", "audiodiag_app", dist_info}
    assert {n for n in names if n.startswith("audiodiag/")} == _source_files("audiodiag", "*")
    pages = {"audiodiag_app/" + p for p in _source_files("pages", "*.py")}
    samples = {"audiodiag_app/" + p for p in _source_files("sample_audio", "*")}
    assert {n for n in names if n.startswith("audiodiag_app/")} == {
        "audiodiag_app/app.py", "audiodiag_app/.streamlit/config.toml", *pages, *samples}
    assert re.search(r"^audiodiag = audiodiag\.cli:main$", entry_points, re.MULTILINE), entry_points
    requires = set(re.findall(r"^Requires-Dist: (.+)$", metadata, re.MULTILINE))
    assert requires == {str(r) for r in _requirements("requirements.txt")}
    # installed (no checkout next to it), the package finds the bundled sets inside audiodiag_app
    target = tmp_path / "installed"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(target), str(wheel)],
                   check=True, timeout=300)
    code = "from audiodiag.data import sample_sets; print(sample_sets.list_sample_sets())"
    found = subprocess.run([sys.executable, "-c", code],
                           cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(target)}, capture_output=True, text=True,
                           timeout=120)
    assert found.stdout.strip() == "['sounds', 'spoken_digits', 'utterances']", found.stderr[-2000:]


def test_app_subcommand_is_offered_with_port_and_streamlit_options():
    args = cli.parser().parse_args(["app", "--port", "8600", "--", "--server.address=0.0.0.0"])
    assert args.run is cli.app and args.port == 8600 and args.streamlit_args == ["--", "--server.address=0.0.0.0"]
    assert "app" in cli.__doc__


def test_app_runs_the_checkout_dashboard_with_its_config_and_user_flags_winning(monkeypatch, tmp_path):
    assert cli.dashboard_script() == ROOT / "app.py"
    calls = []
    monkeypatch.setattr(os, "execv", lambda path, argv: calls.append(argv))
    monkeypatch.setattr(subprocess, "call", lambda argv: calls.append(argv) or 0)
    monkeypatch.chdir(tmp_path)  # outside the checkout: Streamlit would not read its .streamlit/config.toml
    cli.main(["app", "--port", "8600", "--", "--server.maxUploadSize=50", "--server.address=0.0.0.0"])
    (command,) = calls
    assert command[:5] == [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")]
    flags = command[5:]
    assert "--server.port=8600" in flags and "--server.headless=true" in flags
    assert "--server.enableXsrfProtection=true" in flags
    assert [f for f in flags if f.startswith("--server.maxUploadSize")] == ["--server.maxUploadSize=50"]
    assert flags[-2:] == ["--server.maxUploadSize=50", "--server.address=0.0.0.0"]


def test_app_in_the_dashboard_folder_leaves_the_config_to_streamlit():
    command = cli.streamlit_command(ROOT / "app.py", port=None, cwd=ROOT)
    assert command[5:] == []


def test_installed_dashboard_is_found_as_audiodiag_app(monkeypatch, tmp_path):
    site = tmp_path / "site"
    (site / "audiodiag").mkdir(parents=True)
    (site / "audiodiag_app" / "pages").mkdir(parents=True)
    (site / "audiodiag_app" / "app.py").write_text("")
    # the dashboard script is found from audiodiag/cli/commands.py: here no app.py is next to the package
    monkeypatch.setattr(commands, "__file__", str(site / "audiodiag" / "cli" / "commands.py"))
    monkeypatch.syspath_prepend(str(site))
    assert cli.dashboard_script() == site / "audiodiag_app" / "app.py"


def test_dockerfile_installs_cpu_torch_runs_as_non_root_and_checks_health():
    text = DOCKERFILE.read_text(encoding="utf-8")
    instructions = [line.strip() for line in re.sub(r"\\\n", " ", text).splitlines()
                    if line.strip() and not line.lstrip().startswith("#")]
    assert instructions[0] == "FROM python:3.11-slim"
    (torch,) = [r for r in _requirements("requirements.txt") if r.name == "torch"]
    torch_step = next(i for i, line in enumerate(instructions) if "torch" in line and line.startswith("RUN"))
    assert "--index-url https://download.pytorch.org/whl/cpu" in instructions[torch_step]
    assert f"torch{torch.specifier}" in instructions[torch_step]
    requirements_step = next(i for i, line in enumerate(instructions) if "-r requirements.txt" in line)
    assert torch_step < requirements_step  # torch is satisfied before requirements.txt could pull the CUDA build
    assert "pip install --no-deps -r requirements-nodeps.txt" in text
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0"), users
    (health,) = [line for line in instructions if line.startswith("HEALTHCHECK")]
    assert "http://localhost:8501/_stcore/health" in health
    assert "EXPOSE 8501" in instructions
    cmd = next(line for line in instructions if line.startswith("CMD "))
    assert '"app.py"' in cmd and "--server.address=0.0.0.0" in cmd
    for needed in ("app.py", "pages/", "audiodiag/", "sample_audio/", ".streamlit/config.toml"):
        assert any(line.startswith("COPY ") and needed in line.split() for line in instructions), needed


def test_dockerignore_keeps_secrets_and_environments_out_of_the_image():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert {".streamlit/secrets.toml", ".venv", ".git"} <= set(ignored)


def test_readme_documents_pip_install_the_app_command_and_docker():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    share = readme[readme.index("## Share with your team"):]
    for phrase in ("pip install .", "audiodiag app", "docker build", "docker run", "AUDIODIAG_DATA_ROOT",
                   "pip install --no-deps -r requirements-nodeps.txt"):
        assert phrase in share, phrase
    development = readme[readme.index("## Development"):]
    assert "pip install -e ." in development.split("\n## ")[0]
