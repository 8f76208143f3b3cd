"""Course tooling: what runs the course (launcher, doctor, self-checks, exercise generation, grading, CLI).

None of it is needed to read a lesson; the teaching core (`bplab.engine`, `bplab.layers`, ...) imports none of it.
"""
