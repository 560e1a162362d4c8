"""MLflow logging: the metric names, the figures logged, and the probe of the store.

The run itself, logged to a SQLite store and read back with MLflow's client,
is tested on the German Credit example in tests/examples/test_mlflow_example.py.
"""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

from govkit.cli import main
from govkit.errors import ConfigError
from govkit.report import Measurement
from govkit.runner.mlflow_log import figures, metric_name, probe_tracking_uri
from tests.helpers import REPO, build_report


def test_metric_names_follow_the_scheme() -> None:
    def name(**kw: Any) -> str:
        return metric_name("fairness.demographic_parity", Measurement(value=0.1, **kw))

    assert name(name="selection_rate", group={"sex": "Female"}) == (
        "fairness.demographic_parity/selection_rate/sex.Female"
    )
    assert name(name="demographic_parity_difference", feature="sex") == (
        "fairness.demographic_parity/demographic_parity_difference/sex"
    )
    assert name(name="selection_rate") == "fairness.demographic_parity/selection_rate"
    assert name(name="selection_rate", group={"sex": "F", "race": "Black"}) == (
        "fairness.demographic_parity/selection_rate/race.Black/sex.F"
    )
    assert name(name="selection_rate", group={"age_group": "<=25"}).endswith("/age_group.le25")
    assert name(name="selection_rate", group={"age_group": ">40"}).endswith("/age_group.gt40")
    assert name(name="roc_auc", model="baseline", vs="current").endswith(
        "/roc_auc/model.baseline/vs.current"
    )


@pytest.mark.slow  # imports MLflow for its own name validator (seconds)
def test_names_stay_apart_and_valid_for_mlflow() -> None:
    from mlflow.utils.validation import _validate_metric_name

    hostile = ["a/b", "a_b", "a=b", "..", ".", "", "x" * 400, "∑ β", "a&b", "<=25", "le25?"]
    names = [
        metric_name("fairness.demographic_parity", Measurement(name="r", group={"g": v}, value=0))
        for v in hostile
    ]
    assert len(set(names)) == len(names)
    for n in names:
        _validate_metric_name(n)  # raises on a bad character or a name that resolves away
        _validate_metric_name(n + "/ci_high")
        assert len(n + "/ci_high") <= 250


def test_a_column_named_like_a_suffix_keeps_its_own_name() -> None:
    gap = metric_name("fairness.x", Measurement(name="gap", feature="n", value=0.1))
    assert gap.startswith("fairness.x/gap/n-")  # not "fairness.x/gap/n", the n of "gap"


def test_figures_skip_nulls_and_never_merge() -> None:
    report = build_report()
    found, null = figures(report)
    measured = [m for r in report.results for m in r.measurements]
    assert null == sum(m.value is None for m in measured)
    assert len(found) + null == len(measured)
    assert len({f.name for f in found}) == len(found)


def test_probe_refuses_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        probe_tracking_uri(f"sqlite:///{tmp_path}/absent/mlflow.db")


@pytest.mark.slow  # imports MLflow, which opens the store
def test_probe_refuses_a_new_file_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    with pytest.raises(ConfigError, match=r"opening the tracking store failed.*nothing was run"):
        probe_tracking_uri(str(tmp_path / "mlruns"))


def test_probe_refuses_a_database_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "mlflow.db").mkdir()
    with pytest.raises(ConfigError, match="not a database file"):
        probe_tracking_uri(f"sqlite:///{tmp_path}/mlflow.db")


def test_probe_of_a_server_connects_to_localhost() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        probe_tracking_uri(f"http://127.0.0.1:{port}")
    # the socket is closed now: nothing listens on that port
    with pytest.raises(ConfigError, match=f"cannot reach 127.0.0.1:{port}"):
        probe_tracking_uri(f"http://127.0.0.1:{port}")


def test_unreachable_store_is_exit_2_before_any_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(shutil.copytree(REPO / "examples" / "german_credit", tmp_path / "german"))
    shutil.rmtree(folder / "build", ignore_errors=True)
    code = main(
        ["check", "-c", str(folder / "govkit.yaml"), "--mlflow", f"sqlite:///{tmp_path}/no/db"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "does not exist" in err and "Traceback" not in err
    # nothing ran: not even the data was looked for (build/eval.csv was never made)
    assert not (folder / "build").exists()


def test_missing_extra_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from govkit import extras

    real = extras._is_installed
    monkeypatch.setattr(extras, "_is_installed", lambda module: module != "mlflow" and real(module))
    code = main(["check", "-c", str(tmp_path / "govkit.yaml"), "--mlflow"])
    err = capsys.readouterr().err
    assert code == 2
    assert "`govkit check --mlflow` needs the mlflow extra" in err
    assert "pip install 'govkit-rai[mlflow]'" in err
