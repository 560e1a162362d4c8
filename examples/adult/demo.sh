#!/usr/bin/env bash
# The govkit workflow end to end on the Adult example:
# train five seeds -> validate the documents -> run the release checks -> show
# how the figures vary across the seeds -> render the packet -> verify it;
# then the German Credit example in predictions-only mode: predictions ->
# checks -> packet -> verify. Run from the repository root with `make demo`.
#
# The demo shows the gate; it is not the gate. `govkit check` exits 1 when a
# blocking check fails (Adult has real disparities by sex and race), and the
# demo reports that verdict and carries on to the packet.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# the repository's virtualenv when there is one, else whatever is on PATH
if [[ -x "$repo/.venv/bin/govkit" ]]; then
  python="$repo/.venv/bin/python"
  govkit="$repo/.venv/bin/govkit"
else
  python="$(command -v python3 || command -v python)"
  govkit="$(command -v govkit)"
fi

cd "$here"
step() { printf '\n==> %s\n' "$*"; }

step "train the model with five seeds (writes artifacts/ and build/data/)"
"$python" train.py

step "validate the governance documents and govkit.yaml"
"$govkit" validate docs/*.yaml govkit.yaml --coverage

step "run the release checks (suite.yaml)"
status=0
"$govkit" check -c govkit.yaml || status=$?
case "$status" in
  0) verdict="pass: every blocking check passed or is waived" ;;
  1) verdict="fail: at least one blocking check failed (see build/govkit/report.json)" ;;
  *) echo "govkit check could not run (exit $status)" >&2; exit "$status" ;;
esac
echo "release gate verdict: $verdict"
echo "(the demo continues either way; in CI this exit code would block the release)"

step "stability across the five training seeds (from build/govkit/report.json)"
"$python" stability.py

step "render the review packet"
"$govkit" render -c govkit.yaml

step "verify the packet against its manifest"
"$govkit" verify build/govkit/packet

step "export: CycloneDX ML-BOM, Croissant, Hugging Face model card (build/govkit/export/)"
"$govkit" export cyclonedx -c govkit.yaml
"$govkit" export croissant -c govkit.yaml
"$govkit" export hf -c govkit.yaml

german="$here/../german_credit"
cd "$german"

step "German Credit: write the recorded predictions (build/train.csv, build/eval.csv)"
"$python" make_predictions.py

step "German Credit: run its checks on the recorded predictions"
german_status=0
"$govkit" check -c govkit.yaml || german_status=$?
case "$german_status" in
  0|1) echo "German Credit gate verdict: exit $german_status (1 = a blocking check failed)" ;;
  *) echo "govkit check could not run on German Credit (exit $german_status)" >&2; exit "$german_status" ;;
esac

step "German Credit: render and verify its packet"
"$govkit" render -c govkit.yaml
"$govkit" verify build/govkit/packet

german="$(cd "$german" && pwd)"
step "done"
echo "Adult packet:          $here/build/govkit/packet"
echo "Adult report:          $here/build/govkit/report.json"
echo "Adult exports:         $here/build/govkit/export"
if [[ -f "$here/build/govkit/packet/packet.pdf" ]]; then
  echo "Adult PDF:             $here/build/govkit/packet/packet.pdf"
fi
echo "German Credit packet:  $german/build/govkit/packet"
