"""`python -m bot` is `citebot`."""

import sys

from .cli import main

sys.exit(main())
