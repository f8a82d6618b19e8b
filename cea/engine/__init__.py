"""The cohort engine: a spec compiled into a plan, run over a table of parameter rows.

``cea.engine.run(spec, table)`` is the one place where the model's arithmetic runs;
every analysis designs a table of parameter rows and calls it (or
:func:`cea.engine.executors.run_table` to run the rows elsewhere).
"""

from cea.engine.outcomes import Outcomes
from cea.engine.run import CHUNK_BYTES, THREADS, evaluate_expression, parameter_matrix, run
from cea.model.errors import ModelError

__all__ = ["CHUNK_BYTES", "THREADS", "ModelError", "Outcomes", "evaluate_expression",
           "parameter_matrix", "run"]
