"""`python -m power_of_2` runs the worker, then ends directly: interpreter teardown beside the
SDK's native threads has crashed (SIGSEGV) after a clean drain. Stderr is line-buffered."""

import os

from .worker import main

os._exit(main())
