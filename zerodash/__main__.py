"""`python -m zerodash ...`"""

from zerodash.cli import main

raise SystemExit(main())
