"""Evidence → claims → renderers: every statement a note makes is a typed claim built by one rule from the
measurements (`rules` for classification, `retrieval`, `transcription`), checked for contradictions (`consistency`)
before it is rendered.

>>> from audiodiag.verdict import Kind
>>> Kind.RECOMMENDATION.value
'recommendation'
"""
from audiodiag.types import Readiness
from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.consistency import ConsistencyError, check_consistency, enforce
from audiodiag.verdict.evidence import ClassificationEvidence, classification_evidence
from audiodiag.verdict.retrieval import RetrievalEvidence, retrieval_claims, retrieval_evidence
from audiodiag.verdict.rules import classification_claims
from audiodiag.verdict.transcription import TranscriptionEvidence, transcription_claims, transcription_evidence

__all__ = ["Claim", "ClassificationEvidence", "ConsistencyError", "Kind", "Readiness", "RetrievalEvidence", "Severity",
           "TranscriptionEvidence", "check_consistency", "classification_claims", "classification_evidence", "enforce",
           "retrieval_claims", "retrieval_evidence", "transcription_claims", "transcription_evidence"]
