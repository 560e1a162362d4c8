"""The same run on CUDA gives the CPU's figures (up to float32 kernels)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from govkit.project import load_project_file
from govkit.runner import execute_run
from tests.runner.helpers import ACCURACY_SUITE, make_frame, train_tiny, write_project

pytestmark = pytest.mark.gpu


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu(tmp_path: Path) -> None:
    frame = make_frame(n=2000)
    model = train_tiny(frame)
    ep = torch.export.export(
        model, (torch.zeros(4, 3),), dynamic_shapes=({0: torch.export.Dim("batch")},)
    )
    torch.export.save(ep, tmp_path / "model.pt2")
    config = write_project(
        tmp_path,
        model={"path": "model.pt2", "batch_size": 256},
        suite=[*ACCURACY_SUITE, {"id": "test.model"}],
        frame=frame,
    )
    project = load_project_file(config)
    cpu = execute_run(project, device="cpu", quiet=True, out=str(tmp_path / "cpu")).report
    gpu = execute_run(project, device="cuda", quiet=True, out=str(tmp_path / "gpu")).report
    assert gpu.provenance.device.startswith("cuda:0 (")
    for a, b in zip(cpu.results, gpu.results, strict=True):
        assert a.status == b.status
        for ma, mb in zip(a.measurements, b.measurements, strict=True):
            assert ma.value == pytest.approx(mb.value, abs=1e-5)
