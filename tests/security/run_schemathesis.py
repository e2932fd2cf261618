"""Run the schemathesis CLI with one CPython 3.11 bug worked around.

On CPython 3.11.7, `ast.parse` sometimes raises "SystemError: AST constructor recursion
depth mismatch" when it runs deep in the stack (fixed in later 3.11 releases). Hypothesis
parses lambda sources only to *describe* strategies, and schemathesis' nested JSON
strategies reach that path, so an operation can error out for a reason that has nothing
to do with our API. A plain description is as good as a pretty one for that purpose.
"""

import sys

from hypothesis.internal import reflection
from hypothesis.strategies._internal import lazy

_pretty = reflection.get_pretty_function_description


def _describe(f: object) -> str:
    try:
        return _pretty(f)
    except SystemError:
        return getattr(f, "__qualname__", None) or getattr(f, "__name__", None) or "<function>"


reflection.get_pretty_function_description = _describe
lazy.get_pretty_function_description = _describe

if __name__ == "__main__":
    from schemathesis.cli import schemathesis

    sys.argv[0] = "schemathesis"
    sys.exit(schemathesis())
