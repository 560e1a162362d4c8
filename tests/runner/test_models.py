"""Model formats, output shapes, unsafe files and batching."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from govkit.cli import main
from govkit.errors import InputError, UnsafeModelError
from govkit.project import load_project_file
from govkit.runner import execute_run
from govkit.runner.model import detect_format, load_model
from govkit.runner.predict import predict_log_probs_numpy
from tests.runner.helpers import (
    ACCURACY_SUITE,
    FACTORY_SOURCE,
    FEATURES,
    make_frame,
    multiclass_targets,
    train_tiny,
    write_project,
)


@pytest.fixture(scope="module")
def frame() -> Any:
    return make_frame()


@pytest.fixture(scope="module")
def binary_model(frame: Any) -> Any:
    return train_tiny(frame)


def _inputs(frame: Any) -> torch.Tensor:
    return torch.tensor(frame[FEATURES].to_numpy(np.float32))


def _reference_p(model: Any, frame: Any) -> np.ndarray:
    with torch.no_grad():
        return torch.sigmoid(model(_inputs(frame))[:, 0].double()).numpy()


def _scores_of(tmp_path: Path, config: Path) -> np.ndarray:
    report = execute_run(load_project_file(config), quiet=True).report
    result = report.result("test.accuracy")
    assert result is not None and result.status == "pass", result
    return np.asarray(result.details["scores_head"])


@pytest.mark.slow
def test_export_program(tmp_path: Path, frame: Any, binary_model: Any) -> None:
    ep = torch.export.export(
        binary_model, (torch.zeros(4, 3),), dynamic_shapes=({0: torch.export.Dim("batch")},)
    )
    torch.export.save(ep, tmp_path / "model.pt2")
    config = write_project(tmp_path, model={"path": "model.pt2"}, suite=ACCURACY_SUITE)
    assert detect_format(tmp_path / "model.pt2") == "export"
    np.testing.assert_allclose(
        _scores_of(tmp_path, config), _reference_p(binary_model, frame)[:3], rtol=1e-6
    )


def test_export_with_fixed_batch_explains_the_fix(
    tmp_path: Path, binary_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.export.save(
        torch.export.export(binary_model, (torch.zeros(4, 3),)), tmp_path / "model.pt2"
    )
    config = write_project(tmp_path, model={"path": "model.pt2"}, suite=ACCURACY_SUITE)
    assert main(["check", "-c", str(config), "-q"]) == 2
    err = capsys.readouterr().err
    assert "dynamic batch dimension" in err and "Traceback" not in err


def test_torchscript(tmp_path: Path, frame: Any, binary_model: Any) -> None:
    torch.jit.script(binary_model).save(str(tmp_path / "model.pt"))
    assert detect_format(tmp_path / "model.pt") == "torchscript"
    config = write_project(tmp_path, model={"path": "model.pt"}, suite=ACCURACY_SUITE)
    np.testing.assert_allclose(
        _scores_of(tmp_path, config), _reference_p(binary_model, frame)[:3], rtol=1e-6
    )


def test_state_dict_with_factory(tmp_path: Path, frame: Any, binary_model: Any) -> None:
    torch.save(binary_model.state_dict(), tmp_path / "weights.pth")
    (tmp_path / "tiny_factory_sd.py").write_text(FACTORY_SOURCE)
    config = write_project(
        tmp_path,
        model={"path": "weights.pth", "factory": "tiny_factory_sd:build"},
        suite=ACCURACY_SUITE,
    )
    assert detect_format(tmp_path / "weights.pth") == "state_dict"
    np.testing.assert_allclose(
        _scores_of(tmp_path, config), _reference_p(binary_model, frame)[:3], rtol=1e-6
    )


def test_state_dict_in_a_checkpoint_mapping(tmp_path: Path, frame: Any, binary_model: Any) -> None:
    torch.save({"epoch": 3, "state_dict": binary_model.state_dict()}, tmp_path / "ckpt.pt")
    (tmp_path / "tiny_factory_ck.py").write_text(FACTORY_SOURCE)
    config = write_project(
        tmp_path,
        model={"path": "ckpt.pt", "factory": "tiny_factory_ck:build"},
        suite=ACCURACY_SUITE,
    )
    np.testing.assert_allclose(
        _scores_of(tmp_path, config), _reference_p(binary_model, frame)[:3], rtol=1e-6
    )


def _run_code(config: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["check", "-c", str(config), "-q"])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_state_dict_without_factory(
    tmp_path: Path, binary_model: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.save(binary_model.state_dict(), tmp_path / "weights.pth")
    config = write_project(tmp_path, model={"path": "weights.pth"}, suite=ACCURACY_SUITE)
    code, err = _run_code(config, capsys)
    assert code == 2
    assert "govkit.yaml:" in err and "model.path" in err and "model.factory" in err


@pytest.mark.parametrize(
    ("source", "ref", "expected"),
    [
        (None, "no_such_module_xyz:build", "cannot import module 'no_such_module_xyz'"),
        (FACTORY_SOURCE, "{mod}:buidl", "did you mean '{mod}:build'"),
        (
            "def build():\n    raise ValueError('bad config')\n",
            "{mod}:build",
            "ValueError: bad config",
        ),
        ("def build():\n    return 42\n", "{mod}:build", "not a torch.nn.Module"),
        (
            "import torch\ndef build():\n    return torch.nn.Linear(3, 1)\n",
            "{mod}:build",
            "do not fit the module",
        ),
        (
            "raise ImportError('broken dependency')\n",
            "{mod}:build",
            "ImportError: broken dependency",
        ),
    ],
)
def test_bad_factory(
    tmp_path: Path,
    binary_model: Any,
    capsys: pytest.CaptureFixture[str],
    source: str | None,
    ref: str,
    expected: str,
) -> None:
    mod = f"factory_{abs(hash(str(tmp_path))) % 10**8}"
    if source is not None:
        (tmp_path / f"{mod}.py").write_text(source)
    torch.save(binary_model.state_dict(), tmp_path / "weights.pth")
    config = write_project(
        tmp_path,
        model={"path": "weights.pth", "factory": ref.format(mod=mod)},
        suite=ACCURACY_SUITE,
    )
    code, err = _run_code(config, capsys)
    assert code == 2
    assert expected.format(mod=mod) in err


class _Payload:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("zip_format", [True, False])
def test_malicious_pickle_is_refused_and_never_runs(
    tmp_path: Path, zip_format: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    if zip_format:
        torch.save({"weight": _Payload(marker)}, tmp_path / "model.pt")
    else:
        (tmp_path / "model.pt").write_bytes(pickle.dumps(_Payload(marker), protocol=2))
    assert not marker.exists()
    (tmp_path / "tiny_factory_evil.py").write_text(FACTORY_SOURCE)
    config = write_project(
        tmp_path,
        model={"path": "model.pt", "factory": "tiny_factory_evil:build"},
        suite=ACCURACY_SUITE,
    )
    with pytest.raises(UnsafeModelError) as info:
        load_model(load_project_file(config))
    assert "torch.export" in info.value.message and "state_dict" in info.value.message
    code, err = _run_code(config, capsys)
    assert code == 2 and "refusing to load" in err
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"not a model at all", b"PK\x03\x04truncated zip"])
def test_corrupt_model(tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "model.pt2").write_bytes(content)
    (tmp_path / "model.pth").write_bytes(content)
    (tmp_path / "tiny_factory_c.py").write_text(FACTORY_SOURCE)
    for model in ({"path": "model.pt2"}, {"path": "model.pth", "factory": "tiny_factory_c:build"}):
        config = write_project(tmp_path, model=model, suite=ACCURACY_SUITE)
        code, err = _run_code(config, capsys)
        assert code == 2 and "cannot read" in err


def test_missing_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_project(tmp_path, model={"path": "nope.pt2"}, suite=ACCURACY_SUITE)
    code, err = _run_code(config, capsys)
    assert code == 2 and "nope.pt2" in err and "model.path" in err


class _Head(torch.nn.Module):
    """The same binary model, returning its output in one of the accepted shapes."""

    def __init__(self, base: torch.nn.Module, kind: str) -> None:
        super().__init__()
        self.base, self.kind = base, kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.base(x)  # (N, 1) logit
        if self.kind == "logit_n":
            return z[:, 0]
        if self.kind == "logit_n1":
            return z
        if self.kind == "logit_n2":
            return torch.cat([torch.zeros_like(z), z], dim=1)
        p = torch.sigmoid(z)
        if self.kind == "prob_n":
            return p[:, 0]
        if self.kind == "prob_n1":
            return p
        return torch.cat([1 - p, p], dim=1)


@pytest.mark.parametrize(
    "kind", ["logit_n", "logit_n1", "logit_n2", "prob_n", "prob_n1", "prob_n2"]
)
def test_binary_output_shapes(tmp_path: Path, frame: Any, binary_model: Any, kind: str) -> None:
    head = _Head(binary_model, kind).eval()
    torch.jit.trace(head, (torch.zeros(4, 3),)).save(str(tmp_path / "model.pt"))
    output = "logits" if kind.startswith("logit") else "probabilities"
    config = write_project(
        tmp_path, model={"path": "model.pt", "output": output}, suite=ACCURACY_SUITE
    )
    np.testing.assert_allclose(
        _scores_of(tmp_path, config), _reference_p(binary_model, frame)[:3], rtol=1e-5
    )


def test_wrong_task_for_output_shape(
    tmp_path: Path, frame: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    model = train_tiny(frame, out_dim=3, steps=5)
    torch.jit.trace(model, (torch.zeros(4, 3),)).save(str(tmp_path / "model.pt"))
    config = write_project(tmp_path, model={"path": "model.pt"}, suite=ACCURACY_SUITE)
    code, err = _run_code(config, capsys)
    assert code == 2 and "binary model returns 1 or 2 scores" in err and "model.task" in err


class _Softmax(torch.nn.Module):
    def __init__(self, base: torch.nn.Module) -> None:
        super().__init__()
        self.base = base

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.base(x), dim=1)


@pytest.mark.slow
@pytest.mark.parametrize("output", ["logits", "probabilities"])
def test_multiclass(tmp_path: Path, frame: Any, output: str) -> None:
    model = train_tiny(frame, out_dim=3)
    saved = model if output == "logits" else _Softmax(model).eval()
    torch.jit.trace(saved, (torch.zeros(4, 3),)).save(str(tmp_path / "model.pt"))
    data = {"eval": "eval.csv", "label": "level", "features": FEATURES, "sensitive": ["sex"]}
    config = write_project(
        tmp_path,
        model={"path": "model.pt", "task": "multiclass", "output": output},
        data=data,
        suite=ACCURACY_SUITE,
    )
    report = execute_run(load_project_file(config), quiet=True).report
    result = report.result("test.accuracy")
    assert result is not None
    with torch.no_grad():
        expected_labels = model(_inputs(frame)).argmax(1).numpy()
    expected = float((expected_labels == multiclass_targets(frame)).mean())
    overall = next(m for m in result.measurements if m.name == "accuracy" and m.group is None)
    assert overall.value == pytest.approx(expected)
    np.testing.assert_allclose(
        np.asarray(result.details["scores_head"]),
        torch.softmax(model(_inputs(frame)[:3]), 1).detach().double().numpy(),
        rtol=1e-5,
    )


class _FlakyMemory(torch.nn.Module):
    """Runs out of memory on batches over 64 rows, like a too-large CUDA batch."""

    def __init__(self, base: torch.nn.Module) -> None:
        super().__init__()
        self.base = base
        self.sizes: list[int] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(int(x.shape[0]))
        if x.shape[0] > 64:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return self.base(x)


def test_out_of_memory_halves_the_batch(frame: Any, binary_model: Any) -> None:
    flaky = _FlakyMemory(binary_model)
    lp = predict_log_probs_numpy(
        flaky, _inputs(frame), device="cpu", batch_size=256, task="binary", output="logits"
    )
    np.testing.assert_allclose(np.exp(lp[:, 1]), _reference_p(binary_model, frame), rtol=1e-6)
    assert max(s for s in flaky.sizes if s <= 64) == 64 and 256 in flaky.sizes


def test_model_returning_a_tuple_is_an_input_error(frame: Any) -> None:
    with pytest.raises(InputError, match="returned tuple"):
        predict_log_probs_numpy(
            lambda x: (x, x),
            _inputs(frame),
            device="cpu",
            batch_size=64,
            task="binary",
            output="logits",
        )


def test_batches_give_the_same_numbers(frame: Any, binary_model: Any) -> None:
    one = predict_log_probs_numpy(
        binary_model, _inputs(frame), device="cpu", batch_size=7, task="binary", output="logits"
    )
    two = predict_log_probs_numpy(
        binary_model, _inputs(frame), device="cpu", batch_size=1000, task="binary", output="logits"
    )
    np.testing.assert_allclose(one, two, rtol=1e-6)
