"""Repository contracts: README opens with the two commands, CI runs the same test command."""
from pathlib import Path

import pytest

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


def test_the_bundled_sample_sets_are_present():
    """Page and ASR tests use the bundled sets without skipping: a checkout without them is broken, and says how to
    fix it here once instead of skipping tests silently."""
    from audiodiag.data import sample_sets

    missing = {"spoken_digits", "sounds", "utterances"} - set(sample_sets.list_sample_sets())
    assert not missing, f"bundled sample sets missing: {sorted(missing)}; regenerate them: python tools/make_samples.py"


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


def test_readme_speed_section_is_the_rendering_of_the_benchmark_results():
    """README's speed rows are RESULTS.md's own (python -m benchmarks.readme_speed), never typed by hand."""
    from benchmarks import readme_speed

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    results = readme_speed.RESULTS.read_text(encoding="utf-8")
    assert readme_speed.rendered_readme(readme, results) == readme
    shown = readme.split(readme_speed.START, 1)[1].split(readme_speed.END, 1)[0]
    for prefix in ("P10 ", "P9 first waveform", "P8 Ray", "P7s flatness", "P4 ", "P12 "):
        assert f"| {prefix}" in shown, prefix


def test_readme_numbers_are_the_rendering_of_their_run():
    """README's measured tables are generated (python -m benchmarks.readme_numbers), never typed by hand."""
    import json

    from benchmarks import readme_numbers

    results = json.loads(readme_numbers.RESULTS_JSON.read_text(encoding="utf-8"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_numbers.render_readme(readme, results) == readme
    default = results["variants"][readme_numbers.DEFAULT_VARIANT]
    assert set(default["classify"]) >= {"bundled/spoken_digits", "bundled/sounds"}
    assert len(results["variants"]) >= 3 and results["machine"]  # machine-dependent numbers name the machine and
    # their spread over the numeric variants


def test_a_verdict_is_stated_only_where_every_numeric_variant_reaches_it():
    from benchmarks import readme_numbers

    def run(verdict: str) -> dict:
        return {"folds": 5, "strategy": "StratifiedGroupKFold", "clips": 10, "baseline_random_folds": 0.9,
                "spaces": {readme_numbers.BASELINE_NAME: {"accuracy": [0.5, 0.4, 0.6], "ms_per_clip": 1.0},
                           **{space: {"accuracy": [0.8, 0.7, 0.9], "ms_per_clip": 2.0, "verdict": verdict,
                                      "p_value": 0.01} for space in readme_numbers.ENCODERS}}}

    def results(*verdicts: str) -> dict:
        return {"machine": "a CPU", "date": "2026-12-06", "variants": {
            name: {"classify": {"bundled/sounds": run(v)}, "transcribe": {}}
            for name, v in zip([readme_numbers.DEFAULT_VARIANT, "b", "c"], verdicts, strict=True)}}

    agreed = readme_numbers.render_classification(results("yes", "yes", "yes"))
    assert "**beats it** (p = 0.01)" in agreed and "a CPU" in agreed
    split = readme_numbers.render_classification(results("yes", "inconclusive", "yes"))
    assert "**beats it**" not in split and "inconclusive (beats it in 2 of 3 variants)" in split
    assert "beats the baseline" not in readme_numbers.render_read_across(results("yes", "no", "yes"))


def test_the_readme_claim_table_is_the_rules_own():
    from audiodiag.verdict import meaning

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- claims:rules -->\n", 1)[1].split("\n<!-- /claims:rules -->", 1)[0]
    assert block == meaning.claims_table()


@pytest.mark.slow  # a classification of the bundled digits: ~50 s
def test_the_public_api_resolves_and_the_readme_library_example_runs():
    """Every name of `audiodiag.__all__` is importable, and the README's library block runs as written."""
    import audiodiag

    assert all(getattr(audiodiag, name) is not None for name in audiodiag.__all__)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using the library without Streamlit", 1)[1]
    code = section.split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 - the README's own example
    assert scope["note"].verdict and scope["name"] == "spoken_digits"
