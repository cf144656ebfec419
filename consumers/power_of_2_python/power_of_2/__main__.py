"""`python -m power_of_2` runs the worker."""

import os
import sys

from .worker import main

code = main()
# By now the worker has drained and every activity result has been reported. Leaving through
# interpreter finalization lets the SDK's native runtime threads run while Python tears down,
# which has crashed the process (SIGSEGV) after a clean shutdown; a direct exit skips that.
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
