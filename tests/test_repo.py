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


def test_torch_is_pinned_to_the_cpu_wheel_version():
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text().splitlines()


def _tracked_files() -> list[Path]:
    import shutil
    import subprocess

    import pytest

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked-file checks need `git ls-files`")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True).stdout
    return [ROOT / name for name in out.decode().split("\0") if name and (ROOT / name).is_file()]


def test_no_tracked_file_is_a_copy_of_a_real_recording(real_audio):
    """Real recordings (and their transcripts) live only in ../shared; the repository ships its own synthetic sets."""
    import hashlib

    def digest(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    shared = {digest(p): p for p in real_audio.rglob("*") if p.is_file()}
    copies = {str(p.relative_to(ROOT)): str(shared[digest(p)]) for p in _tracked_files() if digest(p) in shared}
    assert not copies, copies


def test_no_tracked_file_holds_an_absolute_path_of_this_machine():
    import tempfile

    candidates = {str(ROOT) + "/", str(ROOT.parent) + "/", str(Path(tempfile.gettempdir())) + "/"}
    candidates = {c for c in candidates if len(c.strip("/")) >= 3}  # "/" alone would match every URL
    found = []
    for path in _tracked_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # audio and other binary files
        found += [f"{path.relative_to(ROOT)}: {c}" for c in candidates if c in text]
    assert not found, found


def test_readme_numbers_are_the_rendering_of_their_run():
    """README's measured tables are generated (python -m benchmarks.readme_numbers), never typed by hand."""
    import json

    from benchmarks import readme_numbers

    results = json.loads(readme_numbers.RESULTS_JSON.read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_numbers.render_readme(readme, results) == readme
    assert set(results["classify"]) >= {"bundled/spoken_digits", "bundled/sounds"}
