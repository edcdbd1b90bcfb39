"""Cards of Hugging Face models, read from the loaded model's folder: config.json, preprocessor_config.json and the
YAML front matter of its README.md (the model card's `license:`), "not stated" where they say nothing.

Nothing is downloaded: a hub id is looked up in the local Hugging Face cache only (a model the app has loaded is
there); an id that is not gets a card saying so.
"""
from __future__ import annotations

import json
from pathlib import Path

from audiodiag.model_cards.measure import folder_weights, sha256_of
from audiodiag.model_cards.types import ALLOWED, NON_COMMERCIAL, NOT_STATED, UNCLEAR, Licence, ModelCard

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".onnx", ".h5", ".msgpack")
README = "README.md"
# Hugging Face licence identifiers (https://huggingface.co/docs/hub/repositories-licenses) that permit commercial use
# (with attribution, notices or share-alike terms); use-restricted ones (OpenRAIL, model-specific) count as unclear
PERMISSIVE = {"apache-2.0", "mit", "bsd", "bsd-2-clause", "bsd-3-clause", "bsd-3-clause-clear", "isc", "cc0-1.0",
              "cc-by-2.0", "cc-by-2.5", "cc-by-3.0", "cc-by-4.0", "cc-by-sa-3.0", "cc-by-sa-4.0", "mpl-2.0",
              "unlicense", "zlib", "artistic-2.0", "ecl-2.0", "afl-3.0", "wtfpl", "pddl", "odc-by", "odbl", "bsl-1.0",
              "lgpl-3.0", "gpl-3.0", "agpl-3.0"}
NON_COMMERCIAL_MARK = "-nc"  # cc-by-nc-4.0, cc-by-nc-sa-4.0, cc-by-nc-nd-4.0 ...
INPUT_LIMIT_UNSTATED = "none stated in its config (memory grows with the clip)"
NOT_LOADED = Licence("not known until the model is loaded", "",
                     "its README.md, read once the model is loaded (not in the local Hugging Face cache here)",
                     NOT_STATED)


def commercial_use(licence_id: str) -> str:
    """ALLOWED, NON_COMMERCIAL, UNCLEAR ('other', custom ids) or NOT_STATED, from a model card's `license:` id.

    >>> commercial_use("cc-by-nc-4.0"), commercial_use("apache-2.0"), commercial_use("other"), commercial_use("")
    ('non-commercial', 'allowed', 'unclear', 'not stated')
    """
    lid = licence_id.strip().lower()
    if not lid:
        return NOT_STATED
    if NON_COMMERCIAL_MARK in lid:
        return NON_COMMERCIAL
    return ALLOWED if lid in PERMISSIVE else UNCLEAR


def cached_folder(model_id: str) -> Path | None:
    """The local snapshot folder of a hub id in the Hugging Face cache (no network), or None."""
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(model_id, "config.json")
    except Exception:  # noqa: BLE001 - an unreadable cache counts as not cached
        return None
    return Path(found).parent if isinstance(found, str) else None


def _json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def readme_metadata(folder: Path) -> dict:
    """The YAML front matter of the folder's README.md (huggingface_hub's parser); {} without one."""
    if not (folder / README).is_file():
        return {}
    from huggingface_hub import metadata_load

    try:
        return metadata_load(folder / README) or {}
    except Exception:  # noqa: BLE001 - malformed YAML: the card says the licence is not stated
        return {}


def licence_from_metadata(meta: dict, *, where: str) -> Licence:
    """The licence a model card's front matter states (`license`, `license_name`, `license_link`)."""
    value = meta.get("license")
    ids = [str(v) for v in value] if isinstance(value, list) else ([str(value)] if value else [])
    if not ids:
        return Licence(NOT_STATED, "", f"{where}: no `license:` in its front matter", NOT_STATED)
    words = "; ".join(f"license: {i}" for i in ids)
    extra = [f"{k}: {meta[k]}" for k in ("license_name", "license_link") if meta.get(k)]
    uses = {commercial_use(i) for i in ids}
    use = NON_COMMERCIAL if NON_COMMERCIAL in uses else (ALLOWED if uses == {ALLOWED} else UNCLEAR)
    return Licence(", ".join(ids), words, f"{where} (front matter)", use, note="; ".join(extra), checked=True)


def licence_of_folder(folder: Path) -> Licence:
    return licence_from_metadata(readme_metadata(folder), where=str(folder / README))


def folder_card(folder: Path, *, name: str, package: str, version: str) -> ModelCard:
    """The card of a Hugging Face model folder (a local folder or a hub snapshot)."""
    config, features = _json(folder / "config.json"), _json(folder / "preprocessor_config.json")
    meta = readme_metadata(folder)
    datasets = meta.get("datasets")
    trained = ", ".join(map(str, datasets)) if isinstance(datasets, list) else (str(datasets) if datasets else "")
    width = config.get("hidden_size") or config.get("d_model")
    rate = features.get("sampling_rate")
    chunk = features.get("chunk_length")
    kind = config.get("model_type") or "unknown type"
    architectures = ", ".join(config.get("architectures") or ())
    return ModelCard(
        name=name, role=f"Hugging Face model ({kind}{f': {architectures}' if architectures else ''})",
        package=package, version=version,
        licence=licence_from_metadata(meta, where=str(folder / README)),
        provenance=f"{package} ({folder})",
        trained_on=f"its model card lists: {trained}" if trained else "not stated in its model card",
        sample_rate_hz=int(rate) if rate else None,
        input_limit=f"{chunk:g}-s window (its feature extractor's chunk_length)" if isinstance(chunk, (int, float))
        else INPUT_LIMIT_UNSTATED,
        embedding_size=int(width) if width else None,
        weights=folder_weights(folder, WEIGHT_SUFFIXES))


def not_loaded_card(model_id: str, *, name: str) -> ModelCard:
    """The card of a hub id that is not in the local cache: only what the id says."""
    return ModelCard(name=name, role="Hugging Face model (not loaded here)", package=model_id,
                     version="not downloaded", licence=NOT_LOADED,
                     provenance=f"huggingface.co/{model_id}", trained_on="not known until the model is loaded",
                     sample_rate_hz=None, input_limit="not known until the model is loaded", embedding_size=None,
                     installed=False)


def folder_revision(folder: Path) -> str:
    """A hub snapshot's commit (its folder name), else the sha256 of its config.json (first 12 hex digits)."""
    if folder.parent.name == "snapshots":
        return f"hub commit {folder.name[:12]}"
    config = folder / "config.json"
    return f"local folder (config sha256 {sha256_of(config)[:12]})" if config.is_file() else "local folder"
