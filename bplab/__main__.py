"""`python -m bplab ...`: the `bplab` command (doctor, exercises build, grade) without its script on PATH.

E.g. ``.venv/bin/python -m bplab grade exercises/06-xor-backprop-by-hand.ipynb`` from the course folder.
"""

import sys

from bplab.course.cli import main

if __name__ == "__main__":
    sys.exit(main())
