"""What a check sees: the data splits, the model, and predictions computed once.

The runner builds one :class:`CheckContext` per run. Predictions are computed
lazily, once per split, and shared by every check that asks for them, so the
model runs once per split whatever the number of checks. The runner supplies
how to encode a split (``inputs_of``) and how to predict on it
(``predictions_of``); checks read the memoised :meth:`CheckContext.inputs`
and :meth:`CheckContext.predictions`, and share any other costly result
(attributions) through :meth:`CheckContext.memo`. Baselines' predictions on
the evaluation split, row for row with the candidate's, are read through
:meth:`CheckContext.predictions_of_baseline`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd
    import torch

    from govkit.scale.engines.base import Profile
    from govkit.stats.groups import Grouping
    from govkit.stats.layers import Layer
    from govkit.stats.slices import Slicing

__all__ = ["CheckContext", "Predictions", "Split"]

SplitName = Literal["eval", "train"]

T = TypeVar("T")


@dataclass
class Split:
    """One data split as loaded: every column, and the label as class indices.

    With ``weights``, each entry of ``frame`` stands for that many rows: the
    cells of :mod:`govkit.scale.cells`, where equal rows were counted once
    and the score column holds the cell's mean score. Checks that measure
    from counts (fairness, classification, calibration, slices) honour the
    weights, so one code path serves the rows and the cells. None: each
    entry is one row.
    """

    name: SplitName
    frame: pd.DataFrame
    y_true: np.ndarray  # int64 class indices; binary labels are 0/1
    weights: np.ndarray | None = None
    #: the split is a seeded sample of this many rows (None: all the rows)
    sampled_from: int | None = None

    #: groupings already computed, by frame and columns, beside the frame they were
    #: computed on (held, so that its identity is not reused; see :meth:`groupings`)
    _groupings: dict[tuple[int, tuple[str, ...]], tuple[pd.DataFrame, list[Grouping]]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def n_rows(self) -> int:
        """The rows the split stands for: the sum of the weights, or its length."""
        if self.weights is None:
            return len(self.frame)
        return round(float(self.weights.sum()))

    def groupings(self, sensitive: Sequence[str]) -> list[Grouping]:
        """:func:`govkit.stats.groups.groupings` of the frame, computed once per split.

        Every group check encodes the same sensitive columns of the same
        frame; on millions of cells that encoding costs more than some of the
        checks. Keyed by the frame's identity, so a split given another frame
        encodes it afresh.
        """
        from govkit.stats.groups import groupings

        key = (id(self.frame), tuple(sensitive))
        found = self._groupings.get(key)
        if found is None:
            found = self._groupings[key] = (self.frame, groupings(self.frame, list(sensitive)))
        return found[1]

    def layers(self, sensitive: Sequence[str], slices: Sequence[Grouping] = ()) -> list[Layer]:
        """:func:`govkit.stats.layers.layers` of the frame, its groupings computed once."""
        from govkit.stats.layers import layers

        return layers(self.frame, list(sensitive), slices, grouped=self.groupings(sensitive))


@dataclass
class Predictions:
    """The model's outputs on one split, in float64 on the CPU.

    ``log_probs`` is (N, C); for a binary task C = 2 and class 1 is positive.
    ``scores`` is the positive-class probability (binary) or the (N, C)
    probabilities (multiclass); ``labels`` the predicted class (binary: the
    score against the project's threshold).
    """

    log_probs: np.ndarray
    scores: np.ndarray
    labels: np.ndarray
    #: False in predictions-only mode without a score column: only labels are real
    has_scores: bool = True


@dataclass
class CheckContext:
    """Everything a check may read. Built by the runner; checks write to it only through memo."""

    task: Literal["binary", "multiclass"]
    seed: int
    device: str
    eval: Split
    train: Split | None = None
    sensitive: list[str] = field(default_factory=list)
    proxies: list[str] = field(default_factory=list)
    quasi_identifiers: list[str] = field(default_factory=list)
    #: data.slices cut on the evaluation split: performance and calibration report per slice
    slices: list[Slicing] = field(default_factory=list)
    label_column: str = "label"
    #: predictions-only mode: the columns holding the model's outputs (label, score)
    prediction_columns: list[str] = field(default_factory=list)
    #: names of the model's input columns, in order (after any transform)
    feature_names: list[str] = field(default_factory=list)
    #: original feature -> indices of the input columns it was encoded into
    feature_groups: dict[str, list[int]] = field(default_factory=dict)
    #: the nn.Module on ``device`` (None in predictions-only mode)
    model: Any = None
    #: raw outputs -> (N, C) log-probabilities; see govkit.runner.outputs.to_log_probs
    log_probs_of: Callable[[torch.Tensor], torch.Tensor] | None = None
    #: the loaded governance documents (govkit.documents models), by kind
    documents: dict[str, list[Any]] = field(default_factory=dict)
    batch_size: int = 8192
    #: binary tasks: a row is predicted positive when P(positive) >= this (model.threshold)
    decision_threshold: float = 0.5
    #: DataFrame -> float32 (N, F) model inputs (features or transform); None without a model.
    #: Lets a check change a column (a counterfactual) and re-encode.
    encode: Callable[[pd.DataFrame], torch.Tensor] | None = None
    #: split -> its float32 (N, F) model inputs on the CPU; None without a model.
    #: Checks call :meth:`inputs`, which encodes each split once.
    inputs_of: Callable[[SplitName], torch.Tensor] | None = None
    #: split -> the model's predictions on it; None when there are none.
    #: Checks call :meth:`predictions`, which predicts on each split once.
    predictions_of: Callable[[SplitName], Predictions] | None = None
    #: baseline name -> its predictions on the evaluation split, row for row with
    #: ``eval`` (govkit.yaml's ``baselines``, in order); see :meth:`baselines`
    baseline_predictions: dict[str, Predictions] = field(default_factory=dict)
    #: with several training seeds (``model.paths`` or a list of prediction columns):
    #: each seed's name and evaluation predictions, the first being ``predictions("eval")``
    seed_predictions: list[tuple[str, Predictions]] = field(default_factory=list)
    #: baselines given with several seeds: their seeds' predictions, seed i paired with
    #: the candidate's seed i
    baseline_seed_predictions: dict[str, list[Predictions]] = field(default_factory=dict)
    #: (rows measured: "eval", "train" or "all", quality columns, grouping columns, missing markers) -> the split's data-quality
    #: profile computed by an engine, when the split's rows were not loaded; see :meth:`profile`
    profile_of: (
        Callable[[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]], Profile] | None
    ) = None
    #: (rows measured: "eval", "train" or "all", quasi-identifiers, sensitive column or None) -> class sizes computed by an
    #: engine (:func:`govkit.scale.engines.base.class_sizes_of_frame`); see :meth:`class_sizes`
    class_sizes_of: Callable[[str, tuple[str, ...], str | None], pd.DataFrame] | None = None
    # results shared between checks, by key; read and written through memo()
    _memo: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @property
    def has_model(self) -> bool:
        return self.model is not None

    def split(self, name: SplitName) -> Split:
        if name == "eval":
            return self.eval
        if self.train is None:
            raise LookupError("the project has no training split (data.train)")
        return self.train

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        """The value stored under ``key``, computing and storing it on first use.

        Parameters
        ----------
        key
            Names the value and everything it depends on (e.g. a check's
            parameters), so that equal keys mean equal values.
        compute
            Called once, on the first request for ``key``; an exception
            propagates and stores nothing.

        Returns
        -------
        T
            The same object for every request of ``key`` during the run.
        """
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    def inputs(self, split: SplitName = "eval") -> torch.Tensor:
        """The model inputs of ``split`` as a float32 (N, F) tensor on the CPU."""
        inputs_of = self.inputs_of
        if inputs_of is None:
            raise LookupError("no model inputs in predictions-only mode")
        return self.memo(f"inputs:{split}", lambda: inputs_of(split))

    def baselines(self) -> list[str]:
        """The names of the baselines every performance and fairness check also measures."""
        return list(self.baseline_predictions)

    def predictions_of_baseline(self, name: str, split: SplitName = "eval") -> Predictions:
        """A baseline's predictions; baselines are evaluated on the evaluation split only."""
        if split != "eval":
            raise LookupError("baselines are evaluated on the evaluation split only")
        if name not in self.baseline_predictions:
            raise LookupError(f"no baseline named '{name}'")
        return self.baseline_predictions[name]

    def profile(
        self,
        split: str,
        columns: tuple[str, ...],
        groups: tuple[str, ...],
        markers: tuple[str, ...],
    ) -> Profile | None:
        """The engine's data-quality profile of ``split``; None when its rows are loaded."""
        profile_of = self.profile_of
        if profile_of is None:
            return None
        key = f"profile:{split}:{columns}:{groups}:{markers}"
        return self.memo(key, lambda: profile_of(split, columns, groups, markers))

    def class_sizes(
        self, split: str, columns: tuple[str, ...], sensitive: str | None
    ) -> pd.DataFrame | None:
        """The engine's k-anonymity classes of ``split``; None when its rows are loaded."""
        class_sizes_of = self.class_sizes_of
        if class_sizes_of is None:
            return None
        key = f"class_sizes:{split}:{columns}:{sensitive}"
        return self.memo(key, lambda: class_sizes_of(split, columns, sensitive))

    def predictions(self, split: SplitName = "eval") -> Predictions:
        """Predictions on ``split``, computed on first use and then shared."""
        predictions_of = self.predictions_of
        if predictions_of is None:
            raise LookupError("no predictions available")
        return self.memo(f"predictions:{split}", lambda: predictions_of(split))
