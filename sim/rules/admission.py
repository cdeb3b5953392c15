"""Points rounds: rank applicants, admit up to the quota, apply the declared tie rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RoundOutcome:
    """What a round decided.

    Attributes
    ----------
    admitted : ndarray of bool
        One flag per applicant, in the order given.
    cutoff : float
        The lowest admitted score (NaN when nobody was admitted).
    tied_at_cutoff : int
        Applicants whose score equals the cut-off.
    over_quota_ties : int
        Admissions beyond the quota because of declared ties.
    """

    admitted: np.ndarray
    cutoff: float
    tied_at_cutoff: int
    over_quota_ties: int


def decide_round(
    scores: np.ndarray,
    quota: int | None,
    threshold: float | None,
    tie_break: np.ndarray | None = None,
) -> RoundOutcome:
    """Admit applicants by score.

    Applicants below ``threshold`` are never admitted. Without a quota everyone at or above
    the threshold is admitted. With quota ``Q`` the best ``Q`` are admitted; applicants tied
    with the Q-th are all admitted (``admit_all_tied``) unless ``tie_break`` values are
    given, which order the tied applicants (higher first) — only applicants tied on both
    score and tie-break value at the boundary are then admitted beyond the quota.

    Parameters
    ----------
    scores : ndarray
        Applicants' total points.
    quota : int or None
        Admissions available (in agents).
    threshold : float or None
        Minimum score.
    tie_break : ndarray, optional
        Values of the tie-break item, one per applicant.

    Returns
    -------
    RoundOutcome
    """
    scores = np.asarray(scores, np.float64)
    eligible = np.ones(len(scores), bool) if threshold is None else scores >= threshold - 1e-9
    if quota is None or eligible.sum() <= quota:
        admitted = eligible
        return _outcome(scores, admitted, quota)
    if quota <= 0:
        return _outcome(scores, np.zeros(len(scores), bool), quota)
    keys = np.zeros(len(scores)) if tie_break is None else np.asarray(tie_break, np.float64)
    ranked_scores = np.where(eligible, scores, -np.inf)
    order = np.lexsort((-keys, -ranked_scores))
    last = order[quota - 1]
    boundary = (ranked_scores == ranked_scores[last]) & (keys == keys[last])
    better = (ranked_scores > ranked_scores[last]) | ((ranked_scores == ranked_scores[last]) & (keys > keys[last]))
    admitted = eligible & (better | boundary)
    return _outcome(scores, admitted, quota)


def _outcome(scores: np.ndarray, admitted: np.ndarray, quota: int | None) -> RoundOutcome:
    if not admitted.any():
        return RoundOutcome(admitted, float("nan"), 0, 0)
    cutoff = float(scores[admitted].min())
    tied = int((scores == cutoff).sum())
    over = max(0, int(admitted.sum()) - quota) if quota is not None else 0
    return RoundOutcome(admitted, cutoff, tied, over)
