"""`python -m tgd`."""

import sys

from .main import main

sys.exit(main())
