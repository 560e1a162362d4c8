"""The check runner behind ``govkit check``: project, model and data loading, devices,
batched inference, judging, and the report.

Importing this package imports neither torch nor pandas; they load when a run needs them,
and a predictions-only run never loads torch.
"""

from __future__ import annotations

from govkit.runner.run import Console, RunOutcome, execute_run, run_checks

__all__ = ["Console", "RunOutcome", "execute_run", "run_checks"]
