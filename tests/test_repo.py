"""Repository contracts: README opens with the two commands, CI runs the same test command."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = text.split("```bash\n")[1:3]
    return [b.split("\n```")[0].strip() for b in blocks]


def test_readme_starts_with_run_and_test_commands():
    run, test = _readme_commands()
    assert "pip install -r requirements.txt" in run and run.endswith("streamlit run app.py")
    assert test.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command():
    assert _readme_commands()[1] in (ROOT / ".ci" / "run").read_text()


def test_library_never_imports_streamlit():
    for path in (ROOT / "audiodiag").rglob("*.py"):
        assert "import streamlit" not in path.read_text(), path


def test_torch_is_pinned_to_the_cpu_wheel_version():
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().splitlines()
