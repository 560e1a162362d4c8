"""The check runner behind ``govkit check``: project, model and data loading, devices,
batched inference, judging, and the report.

Importing this package imports neither torch nor pandas; they load when a run needs them,
and a predictions-only run never loads torch.
"""

from __future__ import annotations

from govkit.runner.console import Console
from govkit.runner.run import RunOutcome, execute_run

__all__ = ["Console", "RunOutcome", "execute_run"]
