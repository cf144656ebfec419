"""`python -m power_of_2` runs the worker. Interpreter teardown beside the SDK's native threads
has crashed (SIGSEGV) after a clean drain, so once all is reported the process ends directly."""

import os
import sys

from .worker import main

code = main()
sys.stderr.flush()
os._exit(code)
