"""`python -m power_of_2` runs the worker."""

from .worker import main

raise SystemExit(main())
