"""Known answers for the decision pipeline: learning curves, shortcut audit, layer sweep, note and CLI."""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from audiodiag import cli, fixes
from audiodiag.data import layout
from audiodiag.evaluation import audit, compare, curves, probing
from audiodiag.evaluation.folds import make_folds
from audiodiag.measure import dataset
from audiodiag.represent import encoders, spaces
from audiodiag.settings import ComparisonSettings
from audiodiag.verdict import data_findings, decide, learning_curve, notes
from audiodiag.verdict.evidence import curve_of
from tests.helpers import make_clip, noise, sine, tiny_wav2vec2, tones_vs_noise, wav_bytes


def _labels_from_duration(n_per_class: int = 12):
    """Same kind of sound in both classes (noise); only the duration tells them apart."""
    clips = []
    for i in range(n_per_class):
        clips.append(make_clip(noise(duration_s=0.4, seed=i), name=f"short_{i}.wav", label="short", group=f"g{i % 4}"))
        clips.append(make_clip(noise(duration_s=1.2, seed=100 + i), name=f"long_{i}.wav", label="long",
                               group=f"g{i % 4}"))
    return clips


def _folds(labels, groups=None, n_splits=4):
    return make_folds(np.asarray(labels).astype(str), None if groups is None else np.asarray(groups),
                      n_splits=n_splits, seed=0)


def test_labels_predictable_from_duration_alone_raise_the_shortcut_warning():
    clips = _labels_from_duration()
    stats, _ = dataset.measure(clips)
    result = audit.metadata_audit(clips, stats, _folds([c.label for c in clips], [c.group for c in clips]))
    assert result.shortcut_suspected
    assert result.accuracy.value == 1.0 and result.chance == 0.5
    assert max(result.importances, key=result.importances.get) == "duration_s"
    assert "duration" in result.explanation and "recorded" in result.explanation


def test_one_duration_threshold_is_found_among_noisy_metadata_and_named():
    rng = np.random.default_rng(1)
    clips = []
    for i in range(32):
        label = "ab"[i % 2]
        duration = rng.uniform(0.5, 0.9) if label == "a" else rng.uniform(1.0, 1.4)  # 0.95 s separates them
        x = noise(duration_s=duration, seed=i, amplitude=float(rng.uniform(0.01, 0.5)))
        x[: int(rng.uniform(0, 0.4) * len(x))] = 0.0  # silence, level and padding vary at random
        clips.append(make_clip(x, name=f"c{i}.wav", label=label, group=f"g{i % 8}"))
    stats, _ = dataset.measure(clips)
    result = audit.metadata_audit(clips, stats, _folds([c.label for c in clips], [c.group for c in clips]),
                                  padding_length_s=1.5)
    assert result.best_feature == "duration_s" and result.best_feature_accuracy.value == 1.0
    assert result.accuracy.value == 1.0 and result.shortcut_suspected
    assert "best single feature: duration_s, whose threshold rule alone scores 1.000" in result.explanation


def test_labels_independent_of_metadata_raise_no_shortcut_warning():
    clips = [make_clip(noise(duration_s=0.5, seed=i), name=f"c{i}.wav", label="ab"[i % 2]) for i in range(24)]
    stats, _ = dataset.measure(clips)
    result = audit.metadata_audit(clips, stats, _folds([c.label for c in clips]))
    assert not result.shortcut_suspected
    assert "no recording-condition shortcut" in result.explanation


def test_learning_curve_separable_classes_saturate_and_random_labels_stay_flat():
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 30)
    separable = np.concatenate([rng.normal(-5, 1, (30, 4)), rng.normal(5, 1, (30, 4))])
    curve = curves.learning_curve(separable, y, _folds(y), name="separable")
    assert curve.trend == "saturated" and curve.points[-1].accuracy_mean == 1.0
    assert [p.clips_per_class for p in curve.points][:4] == [1, 2, 5, 10]
    assert curve.points[0].n_draws == curves.REPEATS and curve.points[-1].n_draws == 1

    shuffled = rng.permutation(y)  # 60 clips with random labels: the last step is pure noise
    noise_curve = curves.learning_curve(rng.normal(0, 1, (60, 4)), shuffled, _folds(shuffled), name="random")
    assert noise_curve.trend == "inconclusive" and noise_curve.points[-1].accuracy_mean < 0.75
    low, high = noise_curve.slope_ci
    assert low < 0 < high
    assert "within noise" in learning_curve.curve(curve_of(noise_curve)).text


def test_learning_curve_flat_when_the_representation_is_the_limit():
    # two overlapping Gaussians in 2-D: 50 labels per class already find the best line; 1,200 more do not help
    rng = np.random.default_rng(2)
    y = np.repeat(["a", "b"], 1_000)
    X = rng.normal(0, 1, (2_000, 2))
    X[y == "b", 0] += 1.0
    curve = curves.learning_curve(X, y, _folds(y, n_splits=3), name="flat")
    assert curve.trend == "flat" and curve.slope_ci[1] < curves.RISING_PER_DOUBLING
    assert 0.6 < curve.points[-1].accuracy_mean < 0.75  # the Bayes rate of this problem is 0.69


def test_learning_curve_rising_when_more_labels_keep_helping():
    # overlapping classes in 40 dimensions: a handful of labels per class is far from the best linear boundary
    rng = np.random.default_rng(1)
    y = np.repeat(["a", "b"], 120)
    X = rng.normal(0, 1, (240, 40))
    X[y == "b"] += 0.35
    curve = curves.learning_curve(X, y, _folds(y, n_splits=3), name="rising", sizes_per_class=(1, 2, 5, 10))
    assert curve.points[-1].accuracy_mean > curve.points[0].accuracy_mean + 0.1
    # rising: the whole CI of the last step at or above +0.02 per doubling (measured +0.022 to +0.048)
    assert curve.trend == "rising" and curve.slope_ci[0] >= curves.RISING_PER_DOUBLING


def test_layer_sweep_finds_the_middle_layer_that_beats_the_last():
    rng = np.random.default_rng(0)
    y = np.repeat(["a", "b"], 20)
    clips = [make_clip(sine(300, duration_s=0.1), name=f"{i}.wav", label=label) for i, label in enumerate(y)]
    informative = np.where((y == "a")[:, None], -3.0, 3.0) + rng.normal(0, 1, (40, 6))
    layers = np.stack([rng.normal(0, 1, (40, 6)), informative, rng.normal(0, 1, (40, 6))]).astype(np.float32)
    hidden = {"mean": layers, "mean+std": np.concatenate([layers, layers], axis=-1)}

    class Named:
        name = "toy"

    sweep = probing.layer_sweep(Named(), clips, _folds(y), hidden=hidden)
    assert sweep.best.layer == 1 and sweep.best.accuracy.value == 1.0
    assert sweep.last.layer == 2 and sweep.last.accuracy.value < 0.8
    assert "beats the default last layer" in sweep.explanation
    assert len(sweep.scores) == 3 * len(probing.POOLINGS)


def test_layer_sweep_with_a_tiny_model_uses_one_extraction_matching_embed(tmp_path):
    encoder = encoders.load_encoder(tiny_wav2vec2(tmp_path, norm="layer", attention_mask=True))
    clips = [make_clip(sine(300 + 50 * i, duration_s=0.3 + 0.05 * i), name=f"t{i}.wav", label="tone")
             for i in range(4)] + [make_clip(noise(duration_s=0.3, seed=i), name=f"n{i}.wav", label="noise")
                                   for i in range(4)]
    hidden = encoder.embed_all_layers(clips)
    assert hidden["mean"].shape == (3, 8, 32) and hidden["mean+std"].shape == (3, 8, 64)
    np.testing.assert_allclose(hidden["mean"][-1], encoder.embed(clips), atol=1e-4)
    np.testing.assert_allclose(hidden["mean"][1], encoder.embed(clips, layer=1), atol=1e-4)
    sweep = probing.layer_sweep(encoder, clips, _folds([c.label for c in clips], n_splits=2), hidden=hidden)
    assert {s.layer for s in sweep.scores} == {0, 1, 2}


def test_bundled_encoder_has_no_layer_sweep():
    with pytest.raises(Exception, match="only its final layer"):
        probing.layer_sweep(encoders.load_encoder("speech_embedding"), [], None)


def test_three_clips_per_class_note_refuses_fine_tuning_with_the_reason():
    result = decide.run_classification(tones_vs_noise(3, n_groups=3), ComparisonSettings(encoders=(), n_splits=3),
                                       dataset_name="tiny")
    assert result.note.fine_tuning == "refused" and not result.readiness.ok
    assert "3" in result.readiness.reason
    rung3 = next(s for s in result.note.sections if s.title.startswith("Rung 3"))
    assert any(line.startswith("Not justified:") and result.readiness.reason in line for line in rung3.lines)


def test_note_on_separable_data_picks_the_baseline_and_carries_every_number():
    result = decide.run_classification(tones_vs_noise(12), ComparisonSettings(encoders=(), n_splits=4),
                                       dataset_name="tones")
    note = result.note
    assert note.rung == "spectral baseline" and "baseline accuracy 1.000" in note.verdict
    assert note.fine_tuning in ("refused", "not justified")  # perfect accuracy: nothing left to gain
    data = json.loads(note.to_json())["data"]
    assert data["rungs"][0]["accuracy"]["value"] == 1.0
    assert data["comparison"]["n_splits"] == 4
    markdown = note.to_markdown()
    assert markdown.startswith("# Decision note: classification on tones") and "## Rungs 1 and 2" in markdown
    assert "| 1 | spectral baseline (MFCC/log-mel) | 1.000 [" in markdown  # the rung table


def test_best_rung_needs_a_paired_win_not_just_a_higher_point_estimate():
    clips = tones_vs_noise(8)
    base = spaces.space_vectors(clips, spaces.BASELINE)
    labels = np.asarray([c.label for c in clips])
    perfect = spaces.SpaceVectors("oracle", (labels == "tone").astype(np.float32)[:, None] * 10, 0.0, 0.0, False, {})
    result = compare.compare(clips, [base, perfect], n_splits=4)
    rung, win = notes.best_rung(result)
    assert rung.space == spaces.BASELINE and win is None  # both perfect: no paired win, keep the cheap rung


def test_cli_exit_codes_and_output_files(tmp_path, capsys):
    assert cli.main(["report", str(tmp_path / "missing")]) == cli.EXIT_USER_ERROR
    assert "not a folder" in capsys.readouterr().err
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.5)),
                        ("noise", lambda i: noise(duration_s=0.5, seed=i))):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(6):
            (tmp_path / "data" / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    (tmp_path / "data" / "tone" / "broken.wav").write_bytes(b"not audio")
    out, js = tmp_path / "note.md", tmp_path / "note.json"
    code = cli.main(["report", str(tmp_path / "data"), "--encoder", spaces.BASELINE, "--folds", "3",
                     "--out", str(out), "--json", str(js)])
    assert code == 0
    err = capsys.readouterr().err
    assert "not used: tone/broken.wav: not a readable audio file" in err and "BytesIO" not in err
    assert out.read_text().startswith("# Decision note: classification on data")
    assert "## Inputs not used (1)" in out.read_text() and "tone/broken.wav" in out.read_text()
    assert json.loads(js.read_text())["data"]["comparison"]["n_splits"] == 3
    assert cli.main(["report", str(tmp_path / "data"), "--encoder", "no-such-encoder"]) == cli.EXIT_USER_ERROR
    assert cli.main(["report", str(tmp_path / "data"), "--encoder", spaces.BASELINE, "--strict"]) == \
        cli.EXIT_USER_ERROR


def test_labels_csv_rows_without_files_are_named_in_the_note_and_fail_strict(tmp_path, capsys):
    data = tmp_path / "data"
    rows = ["path,label,speaker"]
    for i in range(12):
        (data / "clips").mkdir(parents=True, exist_ok=True)
        label = "ab"[i % 2]
        (data / "clips" / f"{i}.wav").write_bytes(wav_bytes(sine(300 + 300 * (label == "b") + i, duration_s=0.3)))
        rows.append(f"clips/{i}.wav,{label},s{i % 3}")
    rows += [f"clips/gone{i}.wav,a,s0" for i in range(12)]  # 12 rows name files that are not there
    (data / "labels.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "note.md"
    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--folds", "3", "--out", str(out)]) == 0
    note = out.read_text()
    assert "12 of its 24 rows name files that are not there (clips/gone0.wav" in note and "and 2 more" in note
    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--strict"]) == cli.EXIT_USER_ERROR

    (data / "labels.csv").write_text("path,label\nrec_0.wav,a\nrec_1.wav,b\n")  # names from another export
    results = layout.load_folder(data)
    (problem,) = [r for r in results if not hasattr(r, "samples")]
    assert "none of its 2 rows names a file that was loaded" in problem.message
    assert "'rec_0.wav'" in problem.message and "'clips/0.wav'" in problem.message


def test_a_single_class_folder_and_an_empty_folder_get_their_true_diagnosis(tmp_path, capsys):
    (tmp_path / "one" / "dog").mkdir(parents=True)
    for i in range(4):
        (tmp_path / "one" / "dog" / f"{i}.wav").write_bytes(wav_bytes(noise(duration_s=0.3, seed=i)))
    assert cli.main(["report", str(tmp_path / "one"), "--encoder", spaces.BASELINE]) == cli.EXIT_USER_ERROR
    assert "all 4 clips have one class ('dog')" in capsys.readouterr().err  # not "no labels"
    (tmp_path / "empty").mkdir()
    assert cli.main(["report", str(tmp_path / "empty")]) == cli.EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "holds no audio files" in err and "it is empty" in err


def test_cli_command_line_reproduces_page_settings():
    settings = ComparisonSettings(encoders=("whisper-tiny.en-unpadded",), n_splits=4, group_aware=False, pad_s=1.5)
    line = settings.to_command_line("sounds")
    assert line == ("python -m audiodiag report sounds --task classify --encoder whisper-tiny.en-unpadded "
                    "--folds 4 --no-groups --pad-s 1.5")
    args = cli.parser().parse_args(line.split()[3:])
    assert args.encoder == ["whisper-tiny.en-unpadded"] and args.folds == 4 and args.no_groups and args.pad_s == 1.5
    assert cli.comparison_settings(args) == settings


def test_demo_shows_every_step_of_the_frozen_encoder_pattern(capsys):
    assert cli.main(["demo"]) == 0
    out = capsys.readouterr().out
    for step in ("1. resample", "2. processor", "3. encoder hidden states", "4. mean-pooled embedding"):
        assert step in out
    assert "embed([clip])[0]: True" in out and "(384,)" in out


def test_duplicate_clips_on_both_sides_of_a_split_reach_the_note():
    clips = tones_vs_noise(6, n_groups=3)
    copy = make_clip(clips[0].samples, name="copy_of_tone_0.wav", label="tone", group="g1")  # tone_0 is in g0
    result = decide.run_classification([*clips, copy], ComparisonSettings(encoders=(), n_splits=3), dataset_name="dups")
    problems = next(s for s in result.note.sections if s.title.startswith("Problems that could invalidate")).lines
    assert any("tone_0.wav" in line and "copy_of_tone_0.wav" in line for line in problems), problems
    assert "may invalidate" in result.note.verdict


def test_advice_is_not_called_a_problem_that_invalidates_the_comparison():
    """A rate mismatch (8 kHz clips under a 16 kHz encoder) is advice; with no leakage, duplicates or shortcut,
    the verdict carries no caution and the invalidating section says none were found."""
    clips = [make_clip(sine(300 + 40 * i, duration_s=0.5, sample_rate_hz=8_000), sample_rate_hz=8_000,
                       name=f"tone_{i}.wav", label="tone", group=f"g{i % 3}") for i in range(6)]
    clips += [make_clip(noise(duration_s=0.5, sample_rate_hz=8_000, seed=i, amplitude=0.354), sample_rate_hz=8_000,
                        name=f"noise_{i}.wav", label="noise", group=f"g{i % 3}") for i in range(6)]
    result = decide.run_classification(clips, ComparisonSettings(encoders=(encoders.SPEECH_EMBEDDING,), n_splits=3),
                                       dataset_name="rates")
    sections = {s.title: s.lines for s in result.note.sections}
    assert sections["Problems that could invalidate the comparison"][0].startswith("Nothing detected")
    advice = " ".join(sections["Advice on the data (does not invalidate the comparison)"])
    assert "8000 Hz" in advice and "16000 Hz" in advice
    assert "may invalidate" not in result.note.verdict


def test_retrieval_note_from_the_cli_names_the_clearly_better_space(tmp_path):
    clips = tones_vs_noise(8)
    base = spaces.space_vectors(clips, spaces.BASELINE)
    from audiodiag.evaluation import retrieval

    labels = [c.label for c in clips]
    rng = np.random.default_rng(0)
    good = retrieval.retrieval_metrics(base.vectors, labels, space="base")
    bad = retrieval.retrieval_metrics(rng.normal(size=(len(clips), 8)), labels, space="random")
    note = notes.retrieval_note("toy", [bad, good])  # "random" in the baseline's place, "base" challenges it
    assert note.rung == "frozen encoder" and note.verdict.startswith("Search in the base space")
    out = tmp_path / "r.json"
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.5)),
                        ("noise", lambda i: noise(duration_s=0.5, seed=i))):
        (tmp_path / "d" / label).mkdir(parents=True)
        for i in range(5):
            (tmp_path / "d" / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    assert cli.main(["report", str(tmp_path / "d"), "--task", "retrieve", "--encoder", spaces.BASELINE,
                     "--json", str(out), "--out", str(tmp_path / "r.md")]) == 0
    data = json.loads(out.read_text())
    assert data["task"] == "retrieval" and data["data"]["spaces"][0]["precision_at_1"]["value"] == 1.0


@pytest.mark.slow  # Whisper on the bundled utterances through the CLI (6 s)
def test_cli_transcribe_writes_the_transcription_note_and_refuses_without_references(tmp_path, capsys):
    out = tmp_path / "t.json"
    assert cli.main(["report", "utterances", "--task", "transcribe", "--json", str(out),
                     "--out", str(tmp_path / "t.md")]) == 0
    note = json.loads(out.read_text())
    assert note["task"] == "transcription" and note["fine_tuning"] == "not justified"
    assert 0 <= note["data"]["corpus_wer"]["value"] < 0.3 and note["data"]["reference_words"] > 40
    assert cli.main(["report", "sounds", "--task", "transcribe"]) == cli.EXIT_USER_ERROR
    assert "no reference transcripts" in capsys.readouterr().err


def test_an_unwritable_cache_folder_is_one_warning_and_the_run_goes_on(tmp_path, capsys, monkeypatch):
    from audiodiag.represent import embedding_cache

    blocker = tmp_path / "a file"
    blocker.write_text("not a folder")  # root ignores permissions, but nobody can create a folder under a file
    monkeypatch.setenv("AUDIODIAG_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.setattr(embedding_cache, "CACHE_WARNINGS", [])
    monkeypatch.setattr(embedding_cache, "_FALLBACKS", {})
    for label, make in (("tone", lambda i: sine(300 + 50 * i, duration_s=0.5)),
                        ("noise", lambda i: noise(duration_s=0.5, seed=i))):
        (tmp_path / "data" / label).mkdir(parents=True)
        for i in range(6):
            (tmp_path / "data" / label / f"{label}{i}.wav").write_bytes(wav_bytes(make(i)))
    out = tmp_path / "note.md"
    code = cli.main(["report", str(tmp_path / "data"), "--encoder", encoders.SPEECH_EMBEDDING, "--folds", "3",
                     "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0 and out.read_text().startswith("# Decision note")
    assert err.count("cannot be written") == 1 and "set AUDIODIAG_CACHE_DIR to a writable folder" in err
    assert "Traceback" not in err


def _speaker_dataset(root, *, header="path,label,speaker,take"):
    """Two words x 3 speakers x 2 takes as a flat folder with a labels CSV; the speaker is in its own column."""
    rows = [header]
    for s, pitch in enumerate((150, 220, 300)):
        for label, extra in (("a", 0), ("b", 400)):
            for take in range(2):
                name = f"{label}_{s}_{take}.wav"
                (root / name).write_bytes(wav_bytes(sine(pitch + extra + 7 * take, duration_s=0.3)))
                rows.append(f"{name},{label},spk{s},{take}")
    (root / "labels.csv").write_text("\n".join(rows) + "\n")
    return root


def test_a_speaker_column_gives_group_aware_folds_and_is_named(tmp_path, capsys):
    data = _speaker_dataset(tmp_path)
    clips = [c for c in layout.load_folder(data) if hasattr(c, "samples")]
    assert {c.group for c in clips} == {"spk0", "spk1", "spk2"}  # not ignored: 'speaker' is a group column
    out = tmp_path / "note.md"
    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--folds", "3", "--out", str(out)]) == 0
    assert "groups: column 'speaker' of labels.csv (3 groups)" in capsys.readouterr().err
    note = out.read_text()
    assert "each of the 3 groups is kept in a single fold" in note and "leakage is measured" in note

    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--folds", "2", "--group-column", "take",
                     "--out", str(out)]) == 0
    assert "groups: column 'take' of labels.csv (2 groups)" in capsys.readouterr().err
    assert cli.main(["report", str(data), "--group-column", "session"]) == cli.EXIT_USER_ERROR
    assert "has no column 'session'" in capsys.readouterr().err


def test_without_groups_leakage_is_unmeasured_and_cli_fixes_name_cli_flags(tmp_path, capsys):
    data = _speaker_dataset(tmp_path, header="path,label,who,take")  # no recognisable group column
    out = tmp_path / "note.md"
    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--folds", "3", "--out", str(out)]) == 0
    note = out.read_text()
    assert "leakage is unmeasured" in note and "upper bound" in note and "--group-column NAME" in note
    assert "labels.csv has columns path, label, who, take" in capsys.readouterr().err

    assert cli.main(["report", str(data), "--encoder", spaces.BASELINE, "--folds", "3", "--group-column", "who",
                     "--no-groups", "--out", str(out)]) == 0
    note = out.read_text()
    assert "Groups were ignored on request" in note and "groups ignored on request" in note
    assert "run again without --no-groups" in note
    assert "Compare page" not in note and "sidebar" not in note  # a CLI note names flags, not widgets


def test_speech_model_on_non_speech_agrees_with_the_measured_result():
    from types import SimpleNamespace

    from audiodiag.evaluation.evaluate import Estimate
    from audiodiag.types import Finding

    stats = [SimpleNamespace(name=f"n{i}.wav", speech_fraction=0.0, duration_s=1.0) for i in range(3)]
    (finding,) = dataset.speech_findings(stats, encoders.get_spec("whisper-tiny.en encoder (unpadded)"), 0.0)
    assert "phonetic content, not general sounds" not in finding.message  # nothing is claimed before measuring

    def advice(pair, measured=("spectral baseline", "whisper-tiny.en-unpadded")):
        return data_findings.advice(finding, SimpleNamespace(pairs=(pair,)), set(measured))

    win = SimpleNamespace(name_b="whisper-tiny.en-unpadded", verdict="yes", difference=Estimate(0.13, 0.05, 0.23))
    said = advice(win)
    assert "whisper-tiny.en-unpadded beats the baseline here (+0.130" in said.text and "aiSFX" in said.text
    assert said.evidence["suggests"] == [encoders.AISFX]  # aiSFX was not measured: suggesting it is advice
    loss = SimpleNamespace(name_b="whisper-tiny.en-unpadded", verdict="no", difference=Estimate(-0.2, -0.3, -0.1))
    assert "does not beat the baseline here (-0.200" in advice(loss).text
    measured_too = advice(win, measured=("spectral baseline", "whisper-tiny.en-unpadded", encoders.AISFX))
    assert "natural first try" not in measured_too.text and not measured_too.evidence["suggests"]
    assert "was measured too" in measured_too.text  # no advice to try what the run measured
    other = Finding("sample_rate_mismatch", "warning", "x", ())
    assert data_findings.advice(other, SimpleNamespace(pairs=(win,)), set()).text == "x"


def test_the_curve_reuses_the_comparison_s_fits_for_its_last_point_and_counts_its_fits():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), 30).astype(str)
    X = rng.normal(size=(120, 20))
    X[:, :4] += np.eye(4)[y.astype(int)] * 1.5
    folds = _folds(y, np.tile(np.arange(10), 12), n_splits=5)
    refitted = curves.learning_curve(X, y, folds, name="x")
    from audiodiag.evaluation.evaluate import cross_val_predict_folds
    from audiodiag.evaluation.fitting import rung_classifier

    full = cross_val_predict_folds(X, y, folds, lambda: rung_classifier(0)).predictions
    counts = []
    reused = curves.learning_curve(X, y, folds, name="x", full_predictions=full,
                                   progress=lambda done, total: counts.append((done, total)))
    assert reused == refitted
    n_caps = len(refitted.points) - 1
    assert counts[-1] == (5 * n_caps * curves.REPEATS, 5 * n_caps * curves.REPEATS)  # no refit of the last point


def test_permutation_importance_agrees_with_sklearn_s():
    """Our batched shuffles give sklearn.inspection.permutation_importance's numbers up to shuffle noise."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.inspection import permutation_importance

    rng = np.random.default_rng(3)
    X = rng.normal(size=(120, len(audit.METADATA_COLUMNS)))
    y = np.where(X[:, 0] + 0.3 * X[:, 3] > 0, "a", "b")
    folds = _folds(y, n_splits=4)

    def model():
        return RandomForestClassifier(n_estimators=25, random_state=0)

    _, ours = audit._fit_folds(X, y, folds, model, seed=0)
    theirs = np.zeros(X.shape[1])
    for train, test in folds.splits():
        fitted = model().fit(X[train], y[train])
        theirs += permutation_importance(fitted, X[test], y[test], n_repeats=10, random_state=0).importances_mean \
            * len(test)
    theirs /= len(y)
    assert max(ours, key=ours.get) == audit.METADATA_COLUMNS[0]
    np.testing.assert_allclose(list(ours.values()), theirs, atol=0.06)


# ---------------------------------------------------------------- issue 27: the retrieval note (classes 1, 4, 8)

def _retrieval_markdown(clips, **settings) -> tuple[notes.DecisionNote, dict]:
    from audiodiag.settings import RetrievalSettings

    chosen = ComparisonSettings(encoders=(), n_splits=3, **settings.pop("comparison", {}))
    note = fixes.rendered(decide.run_retrieval(clips, RetrievalSettings(chosen, **settings), dataset_name="toy"),
                          cli.CLI)  # as the command line words it
    return note, {s.title: " ".join(s.lines) for s in note.sections}


def test_retrieval_note_speaks_of_groups_not_folds_and_states_its_headline_rule():
    """Retrieval has no folds: the note never says 'folds' (the old one said 'groups split across folds were
    checked', and with --no-groups warned of groups split across folds); it says which group rule scored the
    spaces and shows precision@1 under the other rule."""
    clips = tones_vs_noise(8)
    for asked in ({}, {"comparison": {"group_aware": False}}):
        note, sections = _retrieval_markdown(clips, **asked)
        assert not re.search(r"\bfolds?\b", note.to_markdown(), re.I), note.to_markdown()
        assert "Scored without same-group neighbours (the default)" in sections["Task and data"]
        assert "(same-group neighbours excluded; with them: 1.000" in sections["Retrieval quality per space"]
        assert note.data["spaces"][0]["exclude_same_group"] is True
    assert sections["Data problems that could invalidate the comparison"].startswith(
        "Nothing detected: exact and near duplicates were checked")
    ungrouped = [make_clip(c.samples, name=c.name, label=c.label) for c in clips]
    note, sections = _retrieval_markdown(ungrouped)
    assert "Same speaker/source: unmeasured" in sections["Task and data"] and "--group-column" in note.to_markdown()
    assert "with them" not in sections["Retrieval quality per space"]
    assert not re.search(r"\bfolds?\b", note.to_markdown(), re.I)  # "class folders" in the fix is fine


def test_retrieval_note_counting_the_own_group_on_request_warns_with_the_figure_without_it():
    from audiodiag.evaluation import retrieval

    rng = np.random.default_rng(0)  # 4 speakers × 2 words × 3 takes; a speaker's takes of a word nearly coincide
    x = np.vstack([rng.normal(0, 1, 8) + rng.normal(0, 0.01, (3, 8)) for _ in range(8)])
    labels = [w for _ in range(4) for w in ("yes", "no") for _ in range(3)]
    groups = [f"s{s}" for s in range(4) for _ in range(6)]
    counted = retrieval.retrieval_metrics(x, labels, groups=groups, exclude_same_group=False, space="base")
    note = fixes.rendered(notes.retrieval_note("toy", [counted]), cli.CLI)
    problems = " ".join(note.sections[4].lines)
    assert counted.precision_at_1.value == 1.0 and "own group for 100 % of queries" in problems
    assert "run again without --no-exclude-same-group" in problems and "Caution" in note.verdict
    assert "(same-group neighbours included; without them: " in note.sections[1].lines[0]


def test_retrieval_note_puts_what_was_measured_next_to_the_speech_model_warning_and_never_says_clearly():
    """Issue 27 class 4: 'a speech model on non-speech' stood alone in a note where that encoder won; and the
    winning margin mAP +0.035 [+0.005, +0.067] was called 'clearly better'."""
    from audiodiag.evaluation import retrieval
    from audiodiag.types import Finding

    rng = np.random.default_rng(1)
    labels = np.repeat(["bell", "tap"], 30)
    centre = np.where((labels == "bell")[:, None], 1.0, -1.0)
    base = retrieval.retrieval_metrics(centre * 0.3 + rng.normal(0, 1, (60, 8)), labels, space="spectral")
    speech = retrieval.retrieval_metrics(centre * 3 + rng.normal(0, 1, (60, 8)), labels, space="talker")
    warning = Finding("non_speech_for_speech_encoder", "warning",
                      "talker is a speech model, but voice activity detection finds speech in only 0% of this "
                      "dataset's audio", ("bell_0.wav",))
    note = notes.retrieval_note("toy", [base, speech], findings=[warning])
    advice = " ".join(note.sections[5].lines)
    assert advice.startswith("talker is a speech model") and note.rung == "frozen encoder"
    assert "Measured: talker retrieves better than the baseline here nevertheless, on mAP" in advice
    assert "clearly" not in note.to_markdown()
