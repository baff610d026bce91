"""`python -m watcharr.local`: the same as `watcharr local run` (see watcharr.local.runner)."""

import sys

from watcharr.local.runner import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
