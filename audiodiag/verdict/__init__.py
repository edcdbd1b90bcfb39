"""Evidence → claims → renderers: every statement a note makes is a typed claim built by one rule from the
measurements (`rules`), checked for contradictions (`consistency`) before it is rendered.

>>> from audiodiag.verdict import Kind
>>> Kind.RECOMMENDATION.value
'recommendation'
"""
from audiodiag.verdict.claims import Claim, Kind, Severity
from audiodiag.verdict.consistency import ConsistencyError, check_consistency, enforce
from audiodiag.verdict.evidence import ClassificationEvidence, Readiness, classification_evidence
from audiodiag.verdict.rules import classification_claims

__all__ = ["Claim", "ClassificationEvidence", "ConsistencyError", "Kind", "Readiness", "Severity",
           "check_consistency", "classification_claims", "classification_evidence", "enforce"]
