"""Train a scikit-learn credit model and write its predictions for govkit.

This is the predictions-only workflow: the model is not PyTorch, so govkit
never loads it. Instead the team writes the model's outputs next to the true
label and the sensitive columns, and ``govkit.yaml`` names the prediction
columns (``model.predictions``).

Writes, under the example folder (or ``--root``), ``build/train.csv`` and
``build/eval.csv``: every raw column of ``data/german_credit.csv``, plus

- ``age_group``: age bucketed into ``<=25``, ``26-40`` and ``>40`` (a sensitive
  column with groups large enough to judge),
- ``predicted_risk``: the predicted label (1 = good credit risk),
- ``score``: the predicted probability of a good credit risk;
- ``baseline_risk`` and ``baseline_score``: the same for the baseline, a
  simpler scorecard (a logistic regression on the loan's amount and duration
  and the applicant's age only), named in govkit.yaml's ``baselines``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
LABEL = "risk"
NUMERIC = ["job", "credit_amount", "duration", "age"]
CATEGORICAL = ["sex", "housing", "saving_accounts", "checking_account", "purpose"]
PREDICTED = "predicted_risk"
SCORE = "score"
BASELINE_NUMERIC = ["credit_amount", "duration", "age"]
BASELINE_PREDICTED = "baseline_risk"
BASELINE_SCORE = "baseline_score"
AGE_BINS = (-np.inf, 25, 40, np.inf)
AGE_GROUPS = ("<=25", "26-40", ">40")


def age_group(age: pd.Series) -> pd.Series:
    """Bucket ages; 25 is the cut-off most studies of this data set use."""
    return pd.cut(age, bins=AGE_BINS, labels=AGE_GROUPS).astype(str)


def build_model() -> Pipeline:
    """A logistic regression on standardised numbers and one-hot categories."""
    encode = ColumnTransformer(
        [
            ("numeric", StandardScaler(), NUMERIC),
            ("categorical", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
        ]
    )
    return Pipeline([("encode", encode), ("classify", LogisticRegression(max_iter=1000))])


def build_baseline() -> Pipeline:
    """The scorecard the model replaces: three standardised numbers, no categories."""
    return Pipeline([("scale", StandardScaler()), ("classify", LogisticRegression(max_iter=1000))])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--root", type=Path, default=HERE, help="folder to write build/ into (default: this folder)"
    )
    parser.add_argument("--data", type=Path, default=HERE / "data" / "german_credit.csv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--eval-fraction", type=float, default=0.3)
    args = parser.parse_args(argv)

    frame = pd.read_csv(args.data)
    train, evaluation = train_test_split(
        frame, test_size=args.eval_fraction, random_state=args.seed, stratify=frame[LABEL]
    )
    model = build_model().fit(train[NUMERIC + CATEGORICAL], train[LABEL])
    baseline = build_baseline().fit(train[BASELINE_NUMERIC], train[LABEL])

    out = args.root / "build"
    out.mkdir(parents=True, exist_ok=True)
    for name, part in (("train", train), ("eval", evaluation)):
        scored = part.sort_index().copy()
        scored["age_group"] = age_group(scored["age"])
        score = model.predict_proba(scored[NUMERIC + CATEGORICAL])[:, 1]
        scored[SCORE] = np.round(score, 6)
        scored[PREDICTED] = (score >= 0.5).astype(int)
        old = baseline.predict_proba(scored[BASELINE_NUMERIC])[:, 1]
        scored[BASELINE_SCORE] = np.round(old, 6)
        scored[BASELINE_PREDICTED] = (old >= 0.5).astype(int)
        scored.to_csv(out / f"{name}.csv", index=False)
        accuracy = float((scored[PREDICTED] == scored[LABEL]).mean())
        print(f"{name}: {len(scored)} rows, accuracy {accuracy:.3f}")
    print(f"wrote {out / 'train.csv'} and {out / 'eval.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
