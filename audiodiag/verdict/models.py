"""The note's line about each model a run used: its card (`audiodiag.model_cards`) in one sentence.

>>> from audiodiag.model_cards import model_card
>>> claim = model_claim(model_card("speech_embedding"))
>>> claim.verdict, "non-commercial licence as shipped" in claim.text
('non-commercial', True)
"""
from __future__ import annotations

from collections.abc import Sequence

from audiodiag.model_cards import SHA256_SHOWN, ModelCard
from audiodiag.verdict.claims import Claim, Kind, Severity

MODEL_RULE = ("the licence as the model's package (or Hugging Face model card) states it, quoted from the file "
              "named; sha256 of the installed weight files, checked against the wheel's RECORD")
MODELS_TITLE = "Models used (model cards)"


def model_claim(card: ModelCard) -> Claim:
    """One line: the model, its package and version, its licence with where it is stated, and its weights' hashes.
    A non-commercial licence is a warning."""
    where = f", as stated in {card.licence.where}" if card.licence.words else ""
    hashes = ", ".join(f"{w.path.rsplit('/', 1)[-1]} {w.sha256[:SHA256_SHOWN]}" for w in card.weights)
    record = [w.matches_record for w in card.weights if w.matches_record is not None]
    checked = (" (equal to the wheel's RECORD)" if all(record) else " (NOT equal to the wheel's RECORD: a changed "
               "file)") if record else ""
    flag = f", {card.licence.flag}" if card.licence.flag else ""
    text = (f"{card.name}: {card.package} {card.version}; licence {card.licence.name}{flag}{where}"
            + (f"; weights sha256 {hashes}{checked}" if hashes else "") + ".")
    evidence = {"licence": card.licence.name, "commercial_use": card.licence.commercial_use,
                "licence_words": card.licence.words, "where": card.licence.where, "version": card.version,
                "sha256": {w.path: w.sha256 for w in card.weights}}
    severity = Severity.WARNING if card.licence.flag or (record and not all(record)) else Severity.INFO
    return Claim(Kind.MODEL, (card.name,), card.licence.commercial_use, text, evidence, MODEL_RULE, severity)


def model_claims(cards: Sequence[ModelCard]) -> list[Claim]:
    return [model_claim(c) for c in cards]
