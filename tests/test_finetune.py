"""Rung 3: the readiness rule (known answers), and partial fine-tuning of a tiny local wav2vec2 on the same folds.

Models are 2-layer, 32-wide wav2vec2s saved into a temporary folder; no hub, no network. Torch runs on one
thread here: these models are too small to gain from two, and results then do not depend on the core count.
"""
from __future__ import annotations

import numpy as np
import pytest

from audiodiag.errors import AudioDiagError
from audiodiag.evaluation import finetune
from audiodiag.evaluation.finetune_model import build_partial_model, train_partial_model
from audiodiag.evaluation.folds import make_folds
from audiodiag.represent import encoders, spaces
from tests.helpers import make_clip, noise, sine, tiny_wav2vec2

CLIP_S = 0.5
# a random head, so the training loss starts at chance (ln 2) and must fall; the default starts at the probe
FAST = finetune.FinetuneSettings(epochs=3, learning_rate=1e-3, head_learning_rate=1e-2, batch_size=4, patience=3,
                                 head_init="random")


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def group_norm_dir(tmp_path_factory) -> str:
    return tiny_wav2vec2(tmp_path_factory.mktemp("ft-group"), norm="group", attention_mask=False)


@pytest.fixture(scope="module")
def layer_norm_dir(tmp_path_factory) -> str:
    return tiny_wav2vec2(tmp_path_factory.mktemp("ft-layer"), norm="layer", attention_mask=True)


def _tones_and_noise(per_class: int, *, groups: int | None = None) -> list:
    """300 Hz sines vs white noise; two clip lengths, so the unmasked model needs equal-length micro-batches."""
    clips = []
    for i in range(per_class):
        group = None if groups is None else f"g{i % groups}"
        duration_s = CLIP_S + 0.05 * (i % 2)
        clips.append(make_clip(sine(300.0, duration_s=duration_s, amplitude=0.2 + 0.05 * i), name=f"tone{i}.wav",
                               label="tone", group=group))
        clips.append(make_clip(noise(duration_s=duration_s, seed=i), name=f"noise{i}.wav", label="noise", group=group))
    return clips


@pytest.fixture(scope="module")
def cv_run(group_norm_dir):
    clips = _tones_and_noise(8)
    labels = [c.label for c in clips]
    folds = make_folds(labels, n_splits=2, seed=0)
    calls = []
    result = finetune.finetune_cross_validated(group_norm_dir, clips, labels, folds, FAST, device="cpu",
                                               require_ready=False, progress=lambda f, m: calls.append((f, m)))
    return clips, labels, folds, result, calls


# ---------------------------------------------------------------- readiness rule

def test_three_clips_per_class_is_refused_naming_the_class_the_count_and_the_threshold():
    r = finetune.finetune_readiness(["dog"] * 3 + ["cat"] * 30, None)
    assert not r.ok and r.clips_per_class == {"cat": 30, "dog": 3}
    assert "class 'dog' has only 3 labelled clips" in r.reason
    assert f"at least {finetune.MIN_CLIPS_PER_CLASS} per class" in r.reason and "17 more clips of 'dog'" in r.reason
    assert r.rule == finetune.RULE and str(finetune.MIN_CLIPS_PER_CLASS) in finetune.RULE


def test_big_balanced_grouped_set_is_accepted_and_the_reason_is_about_the_data_only():
    labels, groups = ["cat"] * 25 + ["dog"] * 25, [f"s{i % 5}" for i in range(50)]
    ready = finetune.finetune_readiness(labels, groups)
    assert ready.ok and "'cat' has 25 labelled clips (≥ 20)" in ready.reason and "≥ 5 groups" in ready.reason
    assert "curve" not in ready.reason  # the learning curve's claim is made by its own rule


def test_fewer_folds_need_more_clips_and_too_few_groups_are_refused():
    labels = ["cat"] * 22 + ["dog"] * 22
    assert finetune.finetune_readiness(labels, n_splits=5).ok
    three = finetune.finetune_readiness(labels, n_splits=3)  # 22 * 2/3 < 16 per training fold
    assert not three.ok and "at least 24 per class with 3 folds" in three.reason
    groups = ["a" if y == "cat" and i % 2 else "b" if y == "cat" else f"s{i % 4}" for i, y in enumerate(labels)]
    by_group = finetune.finetune_readiness(labels, groups)
    assert not by_group.ok and "class 'cat' comes from only 2 group(s)" in by_group.reason
    assert not finetune.finetune_readiness(["cat"] * 40).ok


def test_cross_validation_refuses_unready_data_before_loading_anything():
    clips = _tones_and_noise(3)
    labels = [c.label for c in clips]
    with pytest.raises(AudioDiagError, match="fine-tuning refused: class 'noise' has only 3 labelled clips"):
        finetune.finetune_cross_validated("no/such-model", clips, labels, make_folds(labels, n_splits=3))


def test_validation_split_keeps_groups_apart_and_says_when_it_cannot():
    from audiodiag.evaluation.finetune import _inner_split

    y = np.array(["cat", "dog"] * 16)
    train = np.arange(32)
    mixed = np.array([f"s{(i // 2) % 4}" for i in range(32)])  # every speaker has both classes
    fit, val, note = _inner_split(train, y, mixed, 0.2, 0, 0)
    assert note == "" and len(set(mixed[val])) == 1 and not set(mixed[val]) & set(mixed[fit])
    assert set(y[val]) == {"cat", "dog"} and len(fit) + len(val) == 32
    one_class_each = np.where(y == "cat", np.array([f"c{i % 2}" for i in range(32)]), "d" + (train % 2).astype(str))
    fit, val, note = _inner_split(train, y, one_class_each, 0.2, 0, 1)
    assert "fold 2: too few groups per class" in note and set(y[val]) == {"cat", "dog"} and len(val) == 6
    with pytest.raises(AudioDiagError, match="fold 1: class 'dog' has 1 training clip"):
        _inner_split(np.arange(5), np.array(["cat"] * 4 + ["dog"]), None, 0.2, 0, 0)


# ---------------------------------------------------------------- what can and cannot be fine-tuned

@pytest.mark.parametrize("name", ["whisper-tiny.en-unpadded", encoders.WHISPER_PADDED, "speech_embedding"])
def test_bundled_encoders_are_not_fine_tunable_and_the_error_says_what_to_pass(name):
    with pytest.raises(AudioDiagError, match="bundled encoder .* cannot be fine-tuned here; pass a Hugging Face "
                                             "model id"):
        finetune.load_finetunable(name)


def test_baseline_and_bad_settings_raise():
    with pytest.raises(AudioDiagError, match="no pretrained weights to fine-tune"):
        finetune.load_finetunable(spaces.BASELINE)
    with pytest.raises(AudioDiagError, match="top_layers=-1; expected 0 or more"):
        finetune.FinetuneSettings(top_layers=-1)
    with pytest.raises(AudioDiagError, match="validation_fraction=0.6"):
        finetune.FinetuneSettings(validation_fraction=0.6)


def test_too_many_top_layers_names_the_layer_count(group_norm_dir):
    with pytest.raises(AudioDiagError, match="top_layers=3, but it has only 2 transformer layers"):
        build_partial_model(encoders.load_encoder(group_norm_dir), 2, top_layers=3)


def test_final_layer_norm_trains_only_where_it_runs_after_the_layers(group_norm_dir, layer_norm_dir):
    # wav2vec2-large layout: encoder.layer_norm follows the last layer; wav2vec2-base: it precedes the first
    after = build_partial_model(encoders.load_encoder(layer_norm_dir), 2, top_layers=1)
    before = build_partial_model(encoders.load_encoder(group_norm_dir), 2, top_layers=1)
    assert after.trainable == ("encoder.layers.1", "encoder.layer_norm")
    assert before.trainable == ("encoder.layers.1",)
    assert not build_partial_model(encoders.load_encoder(layer_norm_dir), 2, top_layers=0).parameters_to_train()


# ---------------------------------------------------------------- training

def test_frozen_layers_stay_bit_identical_while_the_top_layer_and_head_change(layer_norm_dir):
    import torch

    encoder = encoders.load_encoder(layer_norm_dir)
    original = {k: v.clone() for k, v in encoder.model.state_dict().items()}
    clips = _tones_and_noise(4)
    waves = [c.samples for c in clips]
    codes = np.array([c.label == "tone" for c in clips], dtype=np.int64)
    model = build_partial_model(encoder, 2, top_layers=1)
    head_before = model.head.weight.detach().clone()
    train_partial_model(model, waves, codes, np.arange(6), np.arange(6, 8), FAST)
    trained = model.backbone.state_dict()
    frozen = [k for k in original if not k.startswith(("encoder.layers.1.", "encoder.layer_norm."))]
    assert len(frozen) > 20 and all(torch.equal(trained[k], original[k]) for k in frozen)
    changed = [k for k in original if k.startswith("encoder.layers.1.") and not torch.equal(trained[k], original[k])]
    assert "encoder.layers.1.attention.q_proj.weight" in changed
    assert not torch.equal(model.head.weight, head_before)
    assert all(torch.equal(encoder.model.state_dict()[k], v) for k, v in original.items())  # shared model untouched


def test_early_stopping_stops_and_restores_the_best_validation_epoch(layer_norm_dir):
    from audiodiag.evaluation.finetune_model import predict_logits

    encoder = encoders.load_encoder(layer_norm_dir)
    clips = _tones_and_noise(4)
    waves = [c.samples for c in clips]
    codes = np.array([c.label == "tone" for c in clips], dtype=np.int64)
    fit, val = np.arange(6), np.arange(6, 8)
    codes[val] = 1 - codes[val]  # validation labels contradict training: learning makes validation worse
    model = build_partial_model(encoder, 2, top_layers=1)
    settings = finetune.FinetuneSettings(epochs=6, learning_rate=1e-3, head_learning_rate=1e-2, patience=1)
    train_losses, val_losses, best = train_partial_model(model, waves, codes, fit, val, settings)
    assert best == 0 and len(train_losses) == 1 and val_losses[1] > val_losses[0]  # stopped after 1 worse epoch
    logits = predict_logits(model, waves, val, 4, "cpu")
    restored = -np.mean([np.log(np.exp(row[c] - row.max()) / np.exp(row - row.max()).sum())
                         for row, c in zip(logits, codes[val])])
    assert restored == pytest.approx(val_losses[0], abs=1e-6)  # the starting weights are back, not epoch 1's


@pytest.mark.parametrize("n_classes", [2, 3])
def test_probe_head_starts_exactly_at_the_frozen_rungs_classifier(layer_norm_dir, n_classes):
    from audiodiag.evaluation.finetune_model import init_head_from_probe, predict_logits
    from audiodiag.evaluation.fitting import rung_classifier

    encoder = encoders.load_encoder(layer_norm_dir)
    clips = _tones_and_noise(6) + [make_clip(sine(2000.0 + 100 * i, duration_s=CLIP_S), label="high")
                                   for i in range(6 if n_classes == 3 else 0)]
    waves = [c.samples for c in clips]
    codes = np.searchsorted(sorted({c.label for c in clips}), [c.label for c in clips])
    held_out = np.arange(2, len(clips), 3)  # every class in both parts
    fit = np.setdiff1d(np.arange(len(clips)), held_out)
    assert len(np.unique(codes[held_out])) == len(np.unique(codes[fit])) == n_classes
    model = build_partial_model(encoder, n_classes, top_layers=1)
    init_head_from_probe(model, waves, codes, fit, batch_size=4)
    logits = predict_logits(model, waves, held_out, 4, "cpu")
    ours = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    frozen = rung_classifier(0).fit(encoder.embed([clips[i] for i in fit]), codes[fit])
    np.testing.assert_allclose(ours, frozen.predict_proba(encoder.embed([clips[i] for i in held_out])), atol=1e-4)


def test_cross_validated_loss_falls_and_every_clip_is_predicted_out_of_fold(cv_run):
    clips, labels, folds, result, calls = cv_run
    assert len(result.train_losses) == folds.n_splits == 2 and result.epochs_run == (3, 3)
    assert [len(v) for v in result.val_losses] == [4, 4]  # before training, then after each epoch
    for losses in result.train_losses:
        assert losses[-1] < 0.85 * losses[0], losses  # separable classes: the training loss must fall
    assert result.predictions.shape == (len(clips),) and set(result.predictions) <= {"noise", "tone"}
    assert np.allclose(result.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert result.device == "cpu" and result.classes == ("noise", "tone")
    assert result.trainable_modules == ("encoder.layers.0", "encoder.layers.1", "head")
    assert 0 < result.trainable_parameters < result.total_parameters
    assert calls[-1] == (1.0, "Fine-tuning done") and [f for f, _ in calls] == sorted(f for f, _ in calls)


def test_same_seed_gives_identical_results(cv_run, group_norm_dir):
    clips, labels, folds, first, _ = cv_run
    again = finetune.finetune_cross_validated(group_norm_dir, clips, labels, folds, FAST, device="cpu",
                                              require_ready=False)
    assert again.train_losses == first.train_losses
    np.testing.assert_array_equal(again.probabilities, first.probabilities)


def test_gain_over_frozen_is_the_paired_comparison_with_known_differences(cv_run):
    clips, labels, _, result, _ = cv_run
    truth = np.asarray(labels)
    same = finetune.gain_over_frozen(result, result.predictions, labels)
    assert same.verdict == "inconclusive" and same.difference.value == 0.0  # agreeing here is not proof elsewhere
    all_wrong = np.where(truth == "tone", "noise", "tone")
    gain = finetune.gain_over_frozen(result, all_wrong, labels)
    assert gain.difference.value == pytest.approx(np.mean(result.predictions == truth))
    assert gain.name_b.endswith("(fine-tuned, top 2 layers)") and gain.name_a.endswith("(frozen)")
    with pytest.raises(AudioDiagError, match="3 frozen predictions"):
        finetune.gain_over_frozen(result, all_wrong[:3], labels)
