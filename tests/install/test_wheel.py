"""The wheel works anywhere: built, checked, and installed into fresh environments.

The sdist and the wheel are built once per session with ``python -m build``
(which builds the wheel from the sdist, so the sdist is proved complete) and
checked with ``twine check``. The wheel is then installed, with the pins of
constraints.txt, into two fresh virtual environments outside the repository,
where the checkout is not importable:

- the core alone: documents work, and torch, numpy and pandas are not even
  installed; ``govkit check`` names the extra it needs;
- ``[tabular,pdf]``: the German Credit example runs ``check``, ``render`` and
  ``verify`` from a temporary copy, without torch.

Installing needs the package index (or pip's cache); the tests are skipped,
saying so, only when it cannot be reached.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import pytest

from govkit import __version__

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
CONSTRAINTS = REPO / "constraints.txt"
WHEEL = f"govkit_rai-{__version__}-py3-none-any.whl"
SDIST = f"govkit_rai-{__version__}.tar.gz"
DATA = ("schemas", "templates", "checks")
HEAVY = ("torch", "numpy", "pandas")


def _env() -> dict[str, str]:
    """The environment without anything that would make the checkout importable."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return env


def _run(args: list[str | Path], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=_env(),
    )


def _ok(proc: subprocess.CompletedProcess[str], *codes: int) -> subprocess.CompletedProcess[str]:
    wanted = codes or (0,)
    assert proc.returncode in wanted, (
        f"{' '.join(map(str, proc.args))} exited {proc.returncode}\n"
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def _pip_install(python: Path, *requirements: str | Path, cwd: Path) -> None:
    """Install with this interpreter's pip into the venv of ``python``, pinned by constraints.txt.

    ``--no-compile`` leaves byte-compiling to the first import: most of what
    pandas, SciPy and matplotlib install is never imported here.
    """
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-compile"]
    _ok(_run([*pip, "-c", CONSTRAINTS, *requirements], cwd))


def _venv(path: Path) -> Path:
    """A fresh venv without pip of its own (the outer pip installs into it)."""
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", path], path.parent))
    return path / "bin" / "python"


@pytest.fixture(scope="session")
def timings() -> dict[str, float]:
    return {}


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Skip, saying why, when the package index cannot be reached."""
    folder = tmp_path_factory.mktemp("index")
    proc = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "-d",
            folder,
            "-c",
            CONSTRAINTS,
            "click",
        ],
        folder,
        timeout=180,
    )
    if proc.returncode != 0:
        pytest.skip(f"the package index cannot be reached: {proc.stderr.strip()[-300:]}")


@pytest.fixture(scope="session")
def tools(index: None, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Python with build and twine: this one when it has them (the dev extra), else a venv."""
    if importlib.util.find_spec("build") and importlib.util.find_spec("twine"):
        return Path(sys.executable)
    python = _venv(tmp_path_factory.mktemp("tools") / "venv")
    _pip_install(python, "build", "twine", cwd=python.parent)
    return python


@pytest.fixture(scope="session")
def dist(tools: Path, tmp_path_factory: pytest.TempPathFactory, timings: dict[str, float]) -> Path:
    """The sdist and the wheel, built once per session outside the repository."""
    out = tmp_path_factory.mktemp("dist")
    started = time.perf_counter()
    built = _ok(_run([tools, "-m", "build", "--outdir", out, REPO], out))
    timings["build"] = time.perf_counter() - started
    assert sorted(p.name for p in out.iterdir()) == sorted([SDIST, WHEEL])
    (out / "build.log").write_text(built.stdout + built.stderr)
    return out


@pytest.fixture(scope="session")
def core(dist: Path, tmp_path_factory: pytest.TempPathFactory, timings: dict[str, float]) -> Path:
    """A fresh venv with the wheel and the core only; returns its bin folder."""
    started = time.perf_counter()
    python = _venv(tmp_path_factory.mktemp("core") / "venv")
    _pip_install(python, dist / WHEEL, cwd=python.parent)
    timings["core venv"] = time.perf_counter() - started
    return python.parent


@pytest.fixture(scope="session")
def tabular_pdf(
    dist: Path, tmp_path_factory: pytest.TempPathFactory, timings: dict[str, float]
) -> Path:
    """A fresh venv with the wheel and ``[tabular,pdf]``; returns its bin folder."""
    started = time.perf_counter()
    python = _venv(tmp_path_factory.mktemp("tabular_pdf") / "venv")
    _pip_install(python, f"{dist / WHEEL}[tabular,pdf]", cwd=python.parent)
    timings["tabular,pdf venv"] = time.perf_counter() - started
    return python.parent


def _files(folder: Path) -> set[str]:
    return {
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_sdist_and_wheel_pass_twine_check(dist: Path, tools: Path) -> None:
    proc = _ok(_run([tools, "-m", "twine", "check", "--strict", dist / SDIST, dist / WHEEL], dist))
    assert proc.stdout.count("PASSED") == 2, proc.stdout


def test_wheel_holds_the_code_and_the_data(dist: Path) -> None:
    with zipfile.ZipFile(dist / WHEEL) as wheel:
        names = set(wheel.namelist())
        metadata = wheel.read(f"govkit_rai-{__version__}.dist-info/METADATA").decode()
    code = {f"govkit/{name}" for name in _files(REPO / "govkit") if not name.endswith(".pyc")}
    assert code <= names, sorted(code - names)
    for data in DATA:
        shipped = {f"govkit/_data/{data}/{name}" for name in _files(REPO / data)}
        assert shipped and shipped <= names, sorted(shipped - names)
    assert not [n for n in names if n.startswith(("tests/", "examples/", "bench/"))]
    assert "Name: govkit-rai\n" in metadata and "Requires-Python: >=3.11\n" in metadata
    extras = {
        line.split(": ", 1)[1]
        for line in metadata.splitlines()
        if line.startswith("Provides-Extra")
    }
    assert extras == {"tabular", "torch", "checks", "pdf", "mlflow", "ray", "all", "dev"}


def test_the_wheel_is_built_from_the_sdist(dist: Path) -> None:
    # `python -m build` unpacks the sdist and builds the wheel from it: a file the
    # sdist lacks would be missing from the wheel, and the tests above would see it
    assert "Building wheel from sdist" in (dist / "build.log").read_text()
    with tarfile.open(dist / SDIST) as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    needed = {"pyproject.toml", "README.md", "constraints.txt", "CHANGELOG.md"}
    needed |= {f"govkit/{name}" for name in _files(REPO / "govkit") if not name.endswith(".pyc")}
    needed |= {f"{d}/{name}" for d in DATA for name in _files(REPO / d)}
    assert needed <= names, sorted(needed - names)


def _find_specs(bin_dir: Path, cwd: Path) -> dict[str, bool]:
    code = (
        "import importlib.util\n"
        f"for name in {(*HEAVY, 'govkit')!r}:\n"
        "    print(name, importlib.util.find_spec(name) is not None)\n"
        "import govkit\n"
        "print('FROM', govkit.__file__)\n"
    )
    out = _ok(_run([bin_dir / "python", "-c", code], cwd)).stdout.splitlines()
    assert out[-1].startswith(f"FROM {bin_dir.parent}/lib/"), out[-1]  # not the checkout
    return {name: found == "True" for name, found in (line.split() for line in out[:-1])}


def test_core_install_runs_documents_without_heavy_packages(core: Path, tmp_path: Path) -> None:
    assert _find_specs(core, tmp_path) == {
        "torch": False,
        "numpy": False,
        "pandas": False,
        "govkit": True,
    }
    govkit = core / "govkit"
    version = _ok(_run([govkit, "--version"], tmp_path)).stdout
    assert version == f"govkit {__version__} (govkit-rai; extras: none)\n"

    _ok(_run([govkit, "init", "model_card", "model_card.yaml"], tmp_path))
    skeleton = _ok(_run([govkit, "validate", "model_card.yaml"], tmp_path))
    assert "0 error(s)" in skeleton.stdout + skeleton.stderr
    _ok(_run([govkit, "validate", "--strict", "model_card.yaml"], tmp_path), 1)  # placeholders
    for doc in (REPO / "examples" / "minimal").glob("*.yaml"):
        shutil.copy(doc, tmp_path / doc.name)
    minimal = sorted(p.name for p in (REPO / "examples" / "minimal").glob("*.yaml"))
    _ok(_run([govkit, "validate", *minimal], tmp_path))
    # schemas come from the installed package and match the repository's
    done = _ok(_run([govkit, "schema", "--check"], tmp_path))
    shipped = done.stdout + done.stderr
    assert f"{core.parent}/lib/" in shipped
    _ok(_run([govkit, "schema", "--out", "schemas"], tmp_path))
    for schema in (REPO / "schemas").glob("*.json"):
        assert (tmp_path / "schemas" / schema.name).read_bytes() == schema.read_bytes()

    # a gate run names the extra it needs, once, instead of failing per check
    project = tmp_path / "german_credit"
    shutil.copytree(REPO / "examples" / "german_credit", project, ignore=_no_outputs)
    check = _ok(_run([govkit, "check", "-q"], project), 2)
    (line,) = check.stderr.splitlines()
    assert line.endswith("need the tabular extra: pip install 'govkit-rai[tabular]'"), line
    pdf = _ok(_run([govkit, "render"], project), 2)
    assert "pip install 'govkit-rai[pdf]'" in pdf.stderr


def _no_outputs(_folder: str, names: list[str]) -> list[str]:
    return [n for n in names if n in ("build", "__pycache__")]


def test_tabular_pdf_install_runs_german_credit_without_torch(
    tabular_pdf: Path, tmp_path: Path, timings: dict[str, float]
) -> None:
    assert _find_specs(tabular_pdf, tmp_path) == {
        "torch": False,
        "numpy": True,
        "pandas": True,
        "govkit": True,
    }
    govkit = tabular_pdf / "govkit"
    version = _ok(_run([govkit, "--version"], tmp_path)).stdout
    assert version == f"govkit {__version__} (govkit-rai; extras: tabular, pdf)\n"

    project = tmp_path / "german_credit"
    shutil.copytree(REPO / "examples" / "german_credit", project, ignore=_no_outputs)
    started = time.perf_counter()
    _ok(_run([tabular_pdf / "python", "make_predictions.py"], project))
    # exit 1: the recorded predictions really differ by sex and age (see the example's README)
    _ok(_run([govkit, "check", "-q"], project), 1)
    report = (project / "build" / "govkit" / "report.json").read_text()
    assert '"status": "error"' not in report
    assert '"torch": null' in report
    _ok(_run([govkit, "render"], project))
    packet = project / "build" / "govkit" / "packet"
    assert (packet / "packet.pdf").stat().st_size > 10_000
    verified = _ok(_run([govkit, "verify", packet], project))
    assert "\npacket verified:" in verified.stdout
    assert verified.stdout.startswith("manifest sha256: ")
    timings["german credit run"] = time.perf_counter() - started
    print("\ninstall test timings (s):", {k: round(v, 1) for k, v in timings.items()})
