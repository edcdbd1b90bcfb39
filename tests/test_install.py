"""The README's install resolves on every Python version people host on: 3.11, 3.12 and 3.13.

pip resolves requirements.txt for each version against the package registry (binary wheels only, nothing is
installed), and requirements-nodeps.txt the way the README installs it (--no-deps). Torch for 3.12/3.13 is
resolved but not installed here (its CUDA wheels are GBs); the dry run proves a wheel exists for every pin.
"""
from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHONS = ("3.11", "3.12", "3.13")


def _dry_run(python: str, requirements: str, target: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed", "--only-binary=:all:",
         "--python-version", python, "--target", str(target), "-r", str(ROOT / requirements), *extra],
        capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_requirements_resolve_on_python_3_11_to_3_13(tmp_path):
    jobs = [(py, req, extra) for py in PYTHONS
            for req, extra in (("requirements.txt", ()), ("requirements-nodeps.txt", ("--no-deps",)))]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(lambda job: _dry_run(job[0], job[1], tmp_path / f"{job[0]}-{job[1]}", *job[2]), jobs))
    failed = {f"{py} {req}": r.stderr.strip().splitlines()[-3:] for (py, req, _), r in zip(jobs, results)
              if r.returncode != 0}
    assert not failed, failed


def test_packages_with_unfitting_pins_are_installed_without_their_dependencies():
    runtime = (ROOT / "requirements.txt").read_text()
    nodeps = (ROOT / "requirements-nodeps.txt").read_text()
    for package in ("openwakeword", "aisfx", "resemblyzer"):
        assert f"{package}==" in nodeps and f"{package}==" not in runtime
    pins = [line.split("#")[0].strip() for line in (runtime + nodeps).splitlines()]
    assert not [p for p in pins if p.startswith("tflite-runtime")]  # no wheel past Python 3.11
    readme = (ROOT / "README.md").read_text()
    assert readme.count("pip install --no-deps -r requirements-nodeps.txt") >= 2  # both of the README's commands
