"""Fixtures only; the helpers the tests share live in tests/helpers.py (`from tests.helpers import ...`)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import real_audio_dir, sine

# Model hubs are unreachable here and in CI. huggingface_hub reads this when it is first imported, which can be
# while test modules are collected, so it is set here (conftest is imported before any test module), once.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
# Every note the suite builds (in process, through the CLI, in the browser tests' servers) has its claims checked for
# contradictions: a violation raises instead of being logged (audiodiag.verdict.consistency).
os.environ["AUDIODIAG_STRICT_CLAIMS"] = "1"


@pytest.fixture(scope="session", autouse=True)
def _cache_in_session_temp(tmp_path_factory):
    """Transcripts, embeddings and downloads go to this session's temp folder, never the user's ~/.cache: a run
    starts cold, as in CI, and leaves nothing behind. Tests about caching itself take `private_cache`."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AUDIODIAG_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
        yield


@pytest.fixture(autouse=True)
def _no_pool_kept_between_tests():
    """A run keeps its worker pool for the process's next run (audiodiag.runs.pool.kept): here each test's runs
    start as a fresh process's would, and a test that counts what this process computes sees every task."""
    yield
    pool = sys.modules.get("audiodiag.runs.pool")  # not imported: no pool to stop
    if pool is not None:
        pool.close_kept()


@pytest.fixture
def private_cache(tmp_path, monkeypatch) -> Path:
    """An empty cache folder for this test alone (AUDIODIAG_CACHE_DIR), for tests that count what is computed."""
    path = tmp_path / "cache"
    monkeypatch.setenv("AUDIODIAG_CACHE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def real_audio() -> Path:
    return real_audio_dir()


@pytest.fixture
def sine_440hz() -> np.ndarray:
    return sine()
