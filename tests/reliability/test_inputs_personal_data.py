"""Personal data as a group: an e-mail column declared sensitive on the German Credit data.

The e-mail column is planted beside the real German Credit rows (one address
per applicant). govkit must find it with the PII scan, replace every address
by a pseudonym in report.json, junit.xml and the packet, say so in the
report, and tell the reviewer that such a column should not be a group.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from govkit.cli import main
from govkit.errors import InputError
from govkit.render.verify import verify_packet
from govkit.runner.pseudonym import KEY_ENV, find_personal_columns, key_path, local_key

pytestmark = pytest.mark.slow  # one check and render of 1,000 rows: about 6 s

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "german_credit"
SUITE = {
    "suite": 1,
    "name": "personal-groups",
    "checks": [
        {"id": "performance.classification", "severity": "warn"},
        {
            "id": "fairness.demographic_parity",
            "severity": "block",
            "thresholds": [{"metric": "demographic_parity_difference", "max": 0.1}],
        },
        {"id": "privacy.pii", "severity": "warn"},
    ],
}


def _addresses(name: str, n: int) -> list[str]:
    order = np.random.default_rng(len(name)).permutation(n)
    return [f"applicant.{int(i)}.{name}@example.org" for i in order]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("personal")
    folder = Path(shutil.copytree(EXAMPLE, root / "gc", ignore=shutil.ignore_patterns("build")))
    subprocess.run(
        [sys.executable, "make_predictions.py"], cwd=folder, check=True, capture_output=True
    )
    for split in ("train", "eval"):
        path = folder / "build" / f"{split}.csv"
        frame = pd.read_csv(path)
        frame["email"] = _addresses(split, len(frame))
        frame.to_csv(path, index=False)
    config = yaml.safe_load((folder / "govkit.yaml").read_text(encoding="utf-8"))
    config["data"]["sensitive"] = ["sex", "email"]
    config["suite"] = "personal.yaml"
    (folder / "govkit.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (folder / "personal.yaml").write_text(yaml.safe_dump(SUITE), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def outputs(project: Path, cache: Path) -> Path:
    """check, render and verify with a key kept in a private cache folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        mp.delenv(KEY_ENV, raising=False)
        config = str(project / "govkit.yaml")
        assert main(["check", "-c", config, "--quiet"]) == 1  # a group per person fails parity
        assert main(["render", "-c", config, "--format", "md,html"]) == 0
        assert verify_packet(project / "build" / "govkit" / "packet").ok
        assert key_path().is_file()
    return project / "build" / "govkit"


def _all_addresses(project: Path) -> list[str]:
    frames = [pd.read_csv(project / "build" / f"{s}.csv") for s in ("train", "eval")]
    return [a for f in frames for a in f["email"]]


def test_no_raw_address_in_any_output(
    project: Path, outputs: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [p for p in outputs.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"report.json", "junit.xml", "packet.html", "report.md", "manifest.json"} <= names
    # bytes: predictions.parquet and the PDF are binary
    blob = b"\n".join(p.read_bytes() for p in files)
    captured = capsys.readouterr()
    for data in (blob, (captured.out + captured.err).encode("utf-8")):
        assert b"@example.org" not in data and b"applicant." not in data
    # and the addresses were there to be leaked: 1,000 distinct ones in the data
    assert len(set(_all_addresses(project))) == 1000


def test_report_names_pseudonyms_and_warns_against_the_grouping(outputs: Path) -> None:
    report = json.loads((outputs / "report.json").read_text(encoding="utf-8"))
    parity = next(r for r in report["results"] if r["id"] == "fairness.demographic_parity")
    groups = [m["group"]["email"] for m in parity["measurements"] if "email" in (m["group"] or {})]
    assert len(set(groups)) == 300  # one group per evaluation row, each a distinct pseudonym
    assert all(g.startswith("email#") and len(g) == len("email#") + 8 for g in groups)
    assert parity["details"]["pseudonymised_columns"] == {"email": "email"}
    assert parity["details"]["personal_data_groups"] == {"email": "email"}
    assert "should not be used as a group" in parity["message"]
    # the sex groups are not personal data and keep their values
    assert {m["group"].get("sex") for m in parity["measurements"] if m["group"]} >= {
        "male",
        "female",
    }
    junit = (outputs / "junit.xml").read_text(encoding="utf-8")
    assert "should not be used as a group" in junit
    assert "pseudonyms" in (outputs / "packet" / "packet.html").read_text(encoding="utf-8")


def _pseudonyms(report_path: Path) -> set[str]:
    report = json.loads(report_path.read_text(encoding="utf-8"))
    return {
        m["group"]["email"]
        for r in report["results"]
        for m in r["measurements"]
        if m["group"] and "email" in m["group"]
    }


def test_pseudonyms_are_stable_and_the_key_stays_local(
    project: Path, outputs: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _pseudonyms(outputs / "report.json")
    key_file = cache / "govkit" / "pseudonym.key"
    key = key_file.read_bytes()
    assert len(key) == 32
    assert key_file.stat().st_mode & 0o777 == 0o600  # a secret: readable by its owner alone
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    monkeypatch.delenv(KEY_ENV, raising=False)
    config = str(project / "govkit.yaml")
    args = ["check", "-c", config, "--quiet", "--only", "fairness.demographic_parity"]
    assert main([*args, "--out", str(tmp_path / "again")]) == 1
    assert _pseudonyms(tmp_path / "again" / "report.json") == first
    blob = b"".join(p.read_bytes() for p in outputs.rglob("*") if p.is_file())
    assert key not in blob and key.hex().encode() not in blob
    # another key (another machine, or CI with its own secret) gives other pseudonyms
    monkeypatch.setenv(KEY_ENV, "a-ci-secret-of-enough-length")
    assert main([*args, "--out", str(tmp_path / "other")]) == 1
    other = _pseudonyms(tmp_path / "other" / "report.json")
    assert len(other) == len(first) and not other & first


def test_only_columns_holding_personal_data_are_found() -> None:
    frame = pd.DataFrame(
        {
            "sex": ["female", "male"] * 50,
            "email": [f"p{i}@mail.example.com" for i in range(100)],
            "phone": [f"+44 20 7946 {i:04d}" for i in range(100)],
            "customer_name": [f"Person {i}" for i in range(100)],
            "age": np.arange(100),
        }
    )
    found = find_personal_columns(
        [frame], sensitive=["sex", "email", "customer_name"], quasi_identifiers=["phone", "age"]
    )
    assert [(c.column, c.kind, c.roles) for c in found] == [
        ("email", "email", ("sensitive",)),
        ("customer_name", "name", ("sensitive",)),
        ("phone", "phone", ("quasi_identifier",)),
    ]


def test_key_falls_back_to_one_run_when_it_cannot_be_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    blocked = tmp_path / "file"
    blocked.write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    key, stable = local_key()
    assert len(key) == 32 and not stable
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(InputError, match=KEY_ENV):
        local_key()


def test_free_text_is_searched_for_every_value() -> None:
    from govkit.runner.pseudonym import PersonalColumn, Pseudonymiser

    values = [f"applicant.{i}.x@example.org" for i in range(3000)]
    values += ["bob@x.org", "alice.bob@x.org", "+44 20 7946 0001", "Ann Lee", "Al"]
    frame = pd.DataFrame({"contact": values})
    column = PersonalColumn("contact", "email", ("sensitive",))
    mapper = Pseudonymiser([column], [frame], key=b"k" * 32, system="s")
    pseudonym = mapper.mapping["contact"]
    # every address in a long message, each where it stands
    message = ", ".join(f"contact={v} (n=1)" for v in values[:3000])
    replaced = mapper.text(message)
    assert "example.org" not in replaced
    assert replaced.split(", ")[7] == f"contact={pseudonym[values[7]]} (n=1)"
    # the longest value wins where two overlap; words that merely contain a value stay
    assert mapper.text("alice.bob@x.org, bob@x.org.") == (
        f"{pseudonym['alice.bob@x.org']}, {pseudonym['bob@x.org']}."
    )
    assert mapper.text("call +44 20 7946 0001!") == f"call {pseudonym['+44 20 7946 0001']}!"
    assert mapper.text("Ann Leeds and Ann Lee") == f"Ann Leeds and {pseudonym['Ann Lee']}"
    assert mapper.text("xbob@x.org bob@x.orgy") == "xbob@x.org bob@x.orgy"
    # a value too short to search for in any text is replaced as a group value,
    # and where a message writes a group: column=value
    assert mapper.text("Al") == pseudonym["Al"] and mapper.text("Also Al.") == "Also Al."
    assert mapper.text("for contact=Al (n=1)") == f"for contact={pseudonym['Al']} (n=1)"
    # pseudonyms are distinct within the column
    assert len(set(pseudonym.values())) == len(values)
