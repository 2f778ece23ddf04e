"""ZeroDash: the contract shared by infra, the Lambdas, the CLI and the runtime, and the operator CLI.

`python -m zerodash status | wake APP | sleep APP | cost`. The CLI reuses the Lambdas' own code (app object
parser, AWS calls, state derivation, metric queries), imported as the top-level packages `common`, `scaler`
and `waker` that `pip install -e .` installs from lambdas/ (pyproject.toml), so it can never disagree with the
scaler about what an app is or how it is woken and put to sleep.
"""
