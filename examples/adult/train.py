"""Train the Adult income model and export it for govkit.

Writes, next to this file (where ``adult_model.transform`` and ``govkit.yaml``
look for them):

- ``build/data/train.parquet`` and ``build/data/eval.parquet``: a seeded
  70/30 split of ``data/adult.csv`` (stratified by label, sex and race;
  identical rows kept together), every raw column kept (the checks group by
  ``sex`` and ``race`` and probe ``age``);
- ``artifacts/preprocess.json``: the input encoding, fitted on the training split;
- ``artifacts/seed_0.pt2`` ... ``seed_4.pt2``: the network trained with five
  training seeds (``--seed`` to ``--seed`` + 4), each a ``torch.export``
  program; govkit.yaml's ``model.paths`` names them, and the release is judged
  on the recipe (the mean over seeds and its spread), not on one lucky run;
- ``artifacts/logistic.pt2``: a logistic regression on the same encoded
  inputs, exported the same way: the baseline the network must beat
  (``baselines:`` in govkit.yaml).

The five networks train together (:func:`fit_seeds`): the data is encoded
once and each step runs the five as one batched network, so five seeds cost
little more than one. The same seed gives the same split, the same weights and
the same accuracy. Run ``python train.py --help`` for the options.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(HERE))

from adult_model import LABEL, POSITIVE_LABEL, IncomeMLP, Preprocessor  # noqa: E402

#: the split keeps the share of every label x sex x race cell
STRATA = (LABEL, "sex", "race")
#: training seeds of the network; govkit.yaml lists their checkpoints and the experiment
#: plan promises them (sample_size.n_seeds)
N_SEEDS = 5


def split_rows(
    frame: pd.DataFrame, eval_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a seeded train/eval split.

    Stratified by label, sex and race, so every group the checks audit keeps
    its share in the evaluation split. Identical rows (the census extract has
    a few) always land on the same side, so no evaluation row is also a
    training row.
    """
    rng = np.random.default_rng(seed)
    identity = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    eval_parts = []
    for _, stratum in frame.groupby(list(STRATA), sort=True):
        rows = stratum.index.to_numpy()
        keys, counts = np.unique(identity[rows], return_counts=True)
        order = rng.permutation(len(keys))
        target = round(len(rows) * eval_fraction)
        chosen = keys[order][np.cumsum(counts[order]) <= target]
        eval_parts.append(rows[np.isin(identity[rows], chosen)])
    in_eval = np.zeros(len(frame), dtype=bool)
    in_eval[np.concatenate(eval_parts)] = True
    return np.flatnonzero(~in_eval), np.flatnonzero(in_eval)


def fit(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    seed: int,
    model: nn.Module | None = None,
    lr: float = 2e-3,
) -> nn.Module:
    """Mini-batch Adam on the logistic loss; deterministic for a given seed on the CPU.

    ``model`` defaults to the network (:class:`IncomeMLP`); the baseline passes
    its logistic regression.
    """
    torch.manual_seed(seed)
    model = model if model is not None else IncomeMLP(x.shape[1])
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss()
    order = torch.Generator().manual_seed(seed)
    batch = 256
    model.train()
    for _ in range(epochs):
        permutation = torch.randperm(len(x), generator=order)
        for start in range(0, len(x), batch):
            rows = permutation[start : start + batch]
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[rows]), y[rows])
            loss.backward()
            optimiser.step()
    return model.eval()


class SeedStack(nn.Module):
    """K networks of one architecture held as stacked weights, so one batched step trains all K.

    Layer i's weights are a (K, in, out) tensor and its biases (K, 1, out);
    ``forward`` takes (K, B, F) inputs, network k reading batch k, and returns
    (K, B) logits. Adam and weight decay act on each element alone, so training
    the stack on the sum of the K losses trains every network exactly as it
    would be trained on its own: the same initial weights, the same batches,
    the same updates (up to the order of floating-point sums).
    """

    def __init__(self, nets: Sequence[IncomeMLP]) -> None:
        super().__init__()
        layers = [[m for m in net.net if isinstance(m, nn.Linear)] for net in nets]
        depth = len(layers[0])
        self.weights = nn.ParameterList(
            nn.Parameter(torch.stack([ls[i].weight.detach().T.clone() for ls in layers]))
            for i in range(depth)
        )
        self.biases = nn.ParameterList(
            nn.Parameter(torch.stack([ls[i].bias.detach()[None, :].clone() for ls in layers]))
            for i in range(depth)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            h = torch.baddbmm(b, h, w)
            if i < last:
                h = torch.relu(h)
        return h.squeeze(-1)

    def unstack(self, k: int, net: IncomeMLP) -> IncomeMLP:
        """Network ``k``'s weights copied into ``net`` (an IncomeMLP of the same shape)."""
        linears = [m for m in net.net if isinstance(m, nn.Linear)]
        with torch.no_grad():
            for layer, w, b in zip(linears, self.weights, self.biases, strict=True):
                layer.weight.copy_(w[k].T)
                layer.bias.copy_(b[k, 0])
        return net.eval()


def fit_seeds(
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    epochs: int,
    seeds: Sequence[int],
    lr: float = 2e-3,
) -> list[IncomeMLP]:
    """One network per training seed, trained together; network k is ``fit(..., seed=seeds[k])``.

    Each seed sets its network's initial weights and its order of batches, as
    in :func:`fit`. The data is encoded once and every step runs the K
    networks as one batched network (:class:`SeedStack`), so K seeds cost far
    less than K training runs.
    """
    nets = []
    for seed in seeds:
        torch.manual_seed(seed)
        nets.append(IncomeMLP(x.shape[1]))
    stack = SeedStack(nets)
    optimiser = torch.optim.Adam(stack.parameters(), lr=lr, weight_decay=1e-4)
    loss_fn = nn.BCEWithLogitsLoss(reduction="none")
    orders = [torch.Generator().manual_seed(seed) for seed in seeds]
    batch = 256
    stack.train()
    for _ in range(epochs):
        permutations = torch.stack([torch.randperm(len(x), generator=g) for g in orders])
        for start in range(0, len(x), batch):
            rows = permutations[:, start : start + batch]  # (K, B): seed k's batch
            optimiser.zero_grad(set_to_none=True)
            # each network's mean loss, summed: network k's gradient is its own loss's
            loss = loss_fn(stack(x[rows]), y[rows]).mean(dim=1).sum()
            loss.backward()
            optimiser.step()
    return [stack.unstack(k, net) for k, net in enumerate(nets)]


def export(model: nn.Module, n_inputs: int, path: Path) -> None:
    """Save the network as a torch.export program with a dynamic batch size."""
    # zeros, not real rows: the program file keeps its example inputs, and training rows
    # do not belong in a model artifact
    example = torch.zeros(8, n_inputs)
    program = torch.export.export(
        model, (example,), dynamic_shapes=({0: torch.export.Dim.DYNAMIC},)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.export.save(program, str(path))


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.inference_mode():
        return float(((model(x) > 0).float() == y).float().mean())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HERE / "data" / "adult.csv")
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the split, the baseline and the first network"
    )
    parser.add_argument(
        "--seeds",
        type=int,
        default=N_SEEDS,
        help="how many networks to train, with seeds --seed, --seed + 1, ... (govkit.yaml "
        f"names {N_SEEDS})",
    )
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--eval-fraction", type=float, default=0.3)
    parser.add_argument(
        "--rows", type=int, default=None, help="use a seeded sample of this many rows (quick runs)"
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    # restored afterwards: main() may be called inside a larger process (tests, notebooks)
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        return _train(args, started)
    finally:
        torch.use_deterministic_algorithms(was_deterministic)


def _train(args: argparse.Namespace, started: float) -> int:
    frame = pd.read_csv(args.data)
    if args.rows is not None and args.rows < len(frame):
        frame = frame.sample(n=args.rows, random_state=args.seed).sort_index()
    frame = frame.reset_index(drop=True)
    train_idx, eval_idx = split_rows(frame, args.eval_fraction, args.seed)
    train, evaluation = frame.iloc[train_idx], frame.iloc[eval_idx]

    pre = Preprocessor.fit(train)
    x_train, x_eval = pre.encode(train), pre.encode(evaluation)
    y_train = torch.from_numpy((train[LABEL] == POSITIVE_LABEL).to_numpy(np.float32))
    y_eval = torch.from_numpy((evaluation[LABEL] == POSITIVE_LABEL).to_numpy(np.float32))
    seeds = [args.seed + k for k in range(max(1, args.seeds))]
    models = fit_seeds(x_train, y_train, epochs=args.epochs, seeds=seeds)
    # the baseline: one linear layer on the same inputs (IncomeMLP without hidden layers)
    logistic = fit(
        x_train,
        y_train,
        epochs=args.epochs,
        seed=args.seed,
        model=IncomeMLP(x_train.shape[1], hidden=()),
        lr=1e-2,
    )

    root = HERE
    data_dir = root / "build" / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    train.to_parquet(data_dir / "train.parquet", index=False)
    evaluation.to_parquet(data_dir / "eval.parquet", index=False)
    pre.save(root / "artifacts" / "preprocess.json")
    for k, model in enumerate(models):
        export(model, x_train.shape[1], root / "artifacts" / f"seed_{k}.pt2")
    # checkpoints of an earlier run with more seeds would pass for this run's
    for stale in sorted((root / "artifacts").glob("seed_*.pt2")):
        if stale.stem not in {f"seed_{k}" for k in range(len(models))}:
            stale.unlink()
    export(logistic, x_train.shape[1], root / "artifacts" / "logistic.pt2")

    print(
        f"trained {len(models)} networks (seeds {seeds[0]} to {seeds[-1]}) on {len(train)} rows, "
        f"{x_train.shape[1]} encoded columns, {args.epochs} epochs "
        f"({time.perf_counter() - started:.1f} s)"
    )
    scores = [accuracy(model, x_eval, y_eval) for model in models]
    print(
        f"eval accuracy ({len(evaluation)} rows): "
        + "  ".join(f"seed {s} {a:.4f}" for s, a in zip(seeds, scores, strict=True))
        + f"; logistic baseline {accuracy(logistic, x_eval, y_eval):.4f}"
    )
    print(f"wrote {root / 'artifacts'} (seed_*.pt2, logistic.pt2) and {data_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
