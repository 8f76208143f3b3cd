"""bplab grade against a cheating or careless submission: the tamper catalog, and both sandbox paths.

Every attack is one notebook: the honest solution of set 01 with question 2 (`dfdx`) answered WRONG
(no chain rule) plus the attack, placed in q2's answer cell unless said otherwise. Each must score 0 on
q2 and leave every other question at full marks, the batch going on. One notebook per attack keeps
the verdicts independent (a global patch cannot leak into another attack's score); the new grader runs
one in about a second, and the tests run in parallel.

`ATTACKS` is also what docs/instructors.md's table was measured with (before: git HEAD~ of grading.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import nbformat
import pytest

from bplab.course.exercises import nbgrader_meta
from bplab.course.grading import grade, grade_command
from bplab.course.sandbox import Limits, bwrap_problem, choose

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
CHEAP = "01-chain-rule-and-numerical-derivatives.ipynb"
TARGET, TARGET_TESTS = "q2_dfdx", "q2_dfdx_tests"
WRONG = "def dfdx(x):\n    return np.cos(x**2) * 2 * x * np.exp(-x)  # forgot the product rule\n"
RIGHT_SOURCE = "def dfdx(x):\n    return (2 * x * np.cos(x**2) - np.sin(x**2)) * np.exp(-x)\n"
FULL = {"q1_numerical_derivative_tests": 3.0, "q2_dfdx_tests": 3.0, "q3_chain_tests": 2.0, "q4_best_step_tests": 2.0}
NEEDS_BWRAP = bwrap_problem() is not None
if NEEDS_BWRAP and os.environ.get("BPLAB_REQUIRE_SANDBOX") == "1":  # CI (.ci/run) must test the sandbox, not skip it
    pytest.fail(f"BPLAB_REQUIRE_SANDBOX=1 but bubblewrap does not work here: {bwrap_problem()}", pytrace=False)
BWRAP_ONLY = pytest.mark.skipif(NEEDS_BWRAP, reason=f"bubblewrap does not work here: {bwrap_problem()}")

PASS_EVERYTHING = (
    "import types\n"
    "fake = types.ModuleType('bplab.course.checks')\n"
    "for _name in ['expect', 'expect_close', 'expect_shape', 'expect_number', 'expect_gradient',\n"
    "              'expect_in_range', 'expect_function', 'check']:\n"
    "    setattr(fake, _name, lambda *args, **kwargs: None)\n"
)

TAKE_OVER = "import gc as _gc\n_w = next(o for o in _gc.get_objects() if type(o).__name__ == 'Worker')\n"

# q2's answer: dfdx returns a marker that the learner's replaced serializer turns into the bytes EVIL (a call's
# reply); the sync's piece of the name `claimed` is EVIL too (a sync's names are pieces of one stream)
FORGE = TAKE_OVER + (
    "def _forged(value, _dumps=_w.dumps):\n"
    "    return _dumps(value).replace(b'\\x8c\\x0bEVIL-MARKER', EVIL)\n"
    "_w.dumps = _forged\n"
    "def _forged_piece(pickler, buffer, value, limit, _piece=_w.dump_piece):\n"
    "    return b'\\x80\\x03' + EVIL + b'.' if type(value) is str and value == 'EVIL-MARKER' else _piece(\n"
    "        pickler, buffer, value, limit)\n"
    "_w.dump_piece = _forged_piece\n"
    "def dfdx(x):\n    return 'EVIL-MARKER'\n"
    "claimed = 'EVIL-MARKER'\n"
)

# q2's answer: the wrong dfdx, and a replaced sync that changes what it sends (`SYNC_EDIT` edits `out`, the
# {name: ("parcel", handle, pickle)} the worker made)
SYNC = TAKE_OVER + (
    "_names = _w.learner_names\n"
    "def _forged_sync():\n    out = _names()\n    SYNC_EDIT\n    return out\n"
    "_w.learner_names = _forged_sync\n"
)


def forged_sync(edit: str) -> str:
    return WRONG + SYNC.replace("SYNC_EDIT", edit.replace("\n", "\n    "))

# name -> (code of q2's answer cell, how the notebook is changed otherwise or None)
ATTACKS: dict[str, tuple[str, str | None]] = {
    "monkeypatch numpy (isclose, allclose, max, all say yes)": (
        WRONG + "np.isclose = lambda *a, **k: np.True_\nnp.allclose = lambda *a, **k: True\n"
        "np.max = lambda *a, **k: 0.0\nnp.all = lambda *a, **k: True\n", None),
    "monkeypatch builtins (__import__ serves no-op checks)": (
        WRONG + PASS_EVERYTHING + "import builtins\n_real = builtins.__import__\n"
        "def _imp(name, *args, **kwargs):\n"
        "    return fake if name == 'bplab.course.checks' else _real(name, *args, **kwargs)\n"
        "builtins.__import__ = _imp\n", None),
    "monkeypatch bplab (gradcheck and the checks' internals)": (
        WRONG + "import bplab.gradcheck, bplab.course.checks as c\n"
        "bplab.gradcheck.numerical_gradient = lambda f, x, h=1e-5: dfdx(x)\n"
        "c._fail = lambda *a, **k: None\nc.numerical_gradient = bplab.gradcheck.numerical_gradient\n", None),
    "replace modules in sys.modules": (
        WRONG + PASS_EVERYTHING + "import sys\nsys.modules['bplab.course.checks'] = fake\n"
        "gc = types.ModuleType('bplab.gradcheck')\ngc.numerical_gradient = lambda f, x, h=1e-5: dfdx(x)\n"
        "sys.modules['bplab.gradcheck'] = gc\n", None),
    "import hook (sys.meta_path serves fake checks)": (
        WRONG + PASS_EVERYTHING + "import sys, importlib.abc, importlib.util\n"
        "class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        return importlib.util.spec_from_loader(name, self) if name == 'bplab.course.checks' else None\n"
        "    def create_module(self, spec):\n        return fake\n"
        "    def exec_module(self, module):\n        pass\n"
        "sys.meta_path.insert(0, Finder())\nsys.modules.pop('bplab.course.checks', None)\n", None),
    "redefine the check functions": (
        WRONG + "def expect_close(*a, **k):\n    pass\nexpect_gradient = expect_shape = expect_close\n"
        "import bplab.course.checks as c\nc.expect_close = c.expect_gradient = c.expect_shape = expect_close\n", None),
    "input transformer rewrites later test cells to `pass`": (
        WRONG + "get_ipython().input_transformers_post.append(\n"
        "    lambda lines: ['pass\\n'] if any('expect' in line for line in lines) else lines)\n", None),
    "edit the test cell (to `pass`)": (WRONG, "edit"),
    "delete the test cell": (WRONG, "delete"),
    "move the test cell above the answer": (WRONG, "reorder"),
    "print a fake pass, and fake frames on every descriptor": (
        WRONG + "import os, pickle, struct\nprint('q2_dfdx_tests  3 / 3  passed')\n"
        "for seq in range(200):\n"
        "    frame = pickle.dumps((seq, ('synced', {{}})))\n"
        "    for fd in range(1, 12):\n"
        "        try:\n            os.write(fd, struct.pack('>Q', len(frame)) + frame)\n"
        "        except OSError:\n            pass\n", None),
    "sys.exit() in the answer cell": (WRONG + "import sys\nsys.exit(0)\n", None),
    "os._exit() midway": ("import os\nos._exit(0)\n" + WRONG, None),
    "kill its own process (SIGKILL)": ("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n" + WRONG, None),
    "endless loop that ignores interrupts": (
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass\n", None),
    "endless loop inside the graded function": (
        "def dfdx(x):\n    while True:\n        try:\n            pass\n"
        "        except BaseException:\n            pass\n", None),
    "a result larger than the grader accepts (800 MB)": (
        "def dfdx(x):\n    return np.zeros(10**8)\n", None),
    "read the solutions folder": (
        "import glob, json\nfor path in glob.glob('{solutions}/01-*.ipynb'):\n"
        "    for cell in json.load(open(path))['cells']:\n"
        "        if 'def dfdx' in ''.join(cell['source']):\n            exec(''.join(cell['source']))\n", None),
    "read another learner's submission": (
        "import json\nfor cell in json.load(open('{peer}'))['cells']:\n"
        "    if 'def dfdx' in ''.join(cell['source']):\n        exec(''.join(cell['source']))\n", None),
    "open a network connection (to fetch the answer)": (
        "import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=5)\n"
        "exec(s.recv(10000).decode())\n", None),
    "write outside the scratch folder (the solutions)": (
        WRONG + "open('{solutions}/01-chain-rule-and-numerical-derivatives.ipynb', 'w').write('{{}}')\n", None),
    "replace a set-up name (f, to match a wrong derivative)": (
        "def dfdx(x):\n    return np.cos(x)\n\n\ndef f(x):\n    return np.sin(x)\n", None),
    # forged replies: the learner's code replaces the worker's serializer and sends hand-made pickles
    "forged reply sets an attribute of a grader class (pickle BUILD on bplab.engine.Value)": (
        FORGE + "EVIL = b'cbplab.engine\\nValue\\n(N}}\\x8c\\x07__add__Nstb'\n", None),
    "forged 40-byte reply that builds a list of 10^8 ints in the grader": (
        FORGE + "EVIL = b'cbuiltins\\nlist\\ncbuiltins\\nrange\\nJ\\x00\\xe1\\xf5\\x05\\x85R\\x85R'\n", None),
    "forged reply calls a class a bplab module imported (tqdm)": (
        FORGE + "EVIL = b'cbplab.optim\\ntqdm\\n)R'\n", None),
    # forged values that claim to be the objects a learner may keep (issue 20): refused, the handle used instead
    "forged reply claims a collections.Counter": (FORGE + "EVIL = b'ccollections\\nCounter\\n)R'\n", None),
    "forged reply claims a pathlib.Path": (FORGE + "EVIL = b'cpathlib\\nPosixPath\\nX\\x04\\x00\\x00\\x00/etc\\x85R'\n",
                                           None),
    "forged reply claims a functools.partial of os.system": (
        FORGE + "EVIL = b'cfunctools\\npartial\\ncos\\nsystem\\nX\\x04\\x00\\x00\\x00true\\x86R'\n", None),
    "forged reply rebuilds a numpy Generator from os.system": (
        FORGE + "EVIL = b'cnumpy.random._pickle\\n__generator_ctor\\ncos\\nsystem\\n\\x85R'\n", None),
    "the graded function raises StopIteration (ends a test's map() early)": (
        "def dfdx(x):\n    raise StopIteration\n", None),
    # the reworked grader (issue 20): a sync's names are pieces of one stream with one memo, errors carry their
    # traceback's functions; "before" is the grader of commit 2bc56b6
    "forged sync piece: plain data naming a refused class (a Counter) as dfdx": (  # before: 0 (7)
        forged_sync("out['dfdx'] = ('parcel', out['dfdx'][1], b'\\x80\\x03ccollections\\nCounter\\n)R.')"), None),
    "forged sync: names the learner never bound (abs, len, isinstance, all, float, expect_close, f) as yes": (
        forged_sync("_yes = _w.handle(lambda *a, **k: True)\nfor _n in ('abs', 'len', 'isinstance', 'all', 'any', "
                    "'float', 'expect_close', 'expect_gradient', 'f', '__builtins__'):\n"
                    "    out[_n] = ('parcel', _yes, None)"), None),  # before: 0 (5): q4 lost to the learner's float
    "forged sync piece: APPEND and BUILD on an object of another piece, a memo index never stored": (
        forged_sync("out['zz'] = ('parcel', None, b'\\x80\\x03h\\x00K\\x07a.')\n"
                    "out['zy'] = ('parcel', None, b'\\x80\\x03j\\xff\\xff\\x00\\x00}}b.')"), None),  # before: 0 (7)
    "forged traceback: the NotImplementedError of q2 blamed on q1's cell": (  # before: 0 (7)
        TAKE_OVER + "import bplab.course.submission_worker as _sw\n"
        "_sw.frames = lambda error: [('numerical_derivative', True)]\ndef dfdx(x):\n    raise NotImplementedError()\n",
        None),
    "a value whose pickling raises SystemExit (a numpy float subclass), at every sync": (  # before: 0 (3)
        WRONG + "class Evil(np.float64):\n    def __reduce__(self):\n        raise SystemExit(3)\nevil = Evil(1.0)\n",
        None),
    "an exception whose message cannot be made (its __str__ raises), from the graded function": (  # before: 0 (5)
        "class Odd(Exception):\n    def __str__(self):\n        raise Odd()\ndef dfdx(x):\n    raise Odd()\n", None),
    "a value that contains itself, and one nested 10^5 deep": (  # before: 0 (7)
        WRONG + "loop = []\nloop.append(loop)\ndeep = []\nfor _ in range(10**5):\n    deep = [deep]\n", None),
    "the graded function returns a generator that never ends": (  # before: 0 (7)
        "import itertools\ndef dfdx(x):\n    return (i for i in itertools.count())\n", None),
    "call learner_score with BPLAB_GRADING unset, and redefine it": (  # before: 0 (7)
        WRONG + "import os\nos.environ.pop('BPLAB_GRADING', None)\nfrom bplab.course.grading import learner_score\n"
        "learner_score('01-chain-rule-and-numerical-derivatives.ipynb', timeout=5)\n"
        "learner_score = lambda *a, **k: print('10 / 10')\n", None),
    "write the instructor's grades CSV and class report": (  # before: 0 (7), files intact (the sandbox)
        WRONG + "for _path in ['{grades}', '{report}']:\n    open(_path, 'w').write('q2_dfdx_tests,3,3,passed')\n",
        None),
    # sandbox-only: these would hurt the machine or the grader without bwrap's namespaces
    "fork bomb": ("import os\nwhile True:\n    os.fork()\n", "bwrap"),
    "allocate all memory": ("blocks = []\nwhile True:\n    blocks.append(bytearray(1 << 27))\n", "bwrap"),
    "print gigabytes": (WRONG + "import os\nfor _ in range(1500):\n    print('x' * 1_000_000)\n"
                        "    os.write(2, b'y' * 1_000_000)\n", "bwrap"),
    "kill the parent (the sandbox, or the grader)": ("import os\nos.kill(os.getppid(), 9)\n" + WRONG, "bwrap"),
}


def _cell(nb, grade_id):
    return next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == grade_id)


def answer_server() -> int:
    """A TCP server on 127.0.0.1 that gives the right dfdx to whoever connects (the network attack)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)

    def serve():
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            connection.sendall(RIGHT_SOURCE.encode())
            connection.close()

    threading.Thread(target=serve, daemon=True).start()
    return server.getsockname()[1]


def instructor_files(folder: Path) -> dict[str, Path]:
    """The instructor's grades CSV and class report beside the submissions (an attack must not reach them)."""
    files = {"grades": folder.parent / "instructor" / "grades.csv",
             "report": folder.parent / "instructor" / "report.html"}
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text("the instructor's\n")
    return files


def attacked(name: str, folder: Path, solutions: Path, port: int) -> Path:
    """Write the notebook of attack `name` to folder/<learner>/ and return its path."""
    code, how = ATTACKS[name]
    peer = folder / "peer" / CHEAP
    if not peer.exists():
        peer.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(SOLUTIONS / CHEAP, peer)
    nb = nbformat.read(SOLUTIONS / CHEAP, as_version=4)
    _cell(nb, TARGET).source = code.format(solutions=solutions, peer=peer, port=port, **instructor_files(folder))
    tests = _cell(nb, TARGET_TESTS)
    if how == "edit":
        tests.source = "pass"
    elif how == "delete":
        nb.cells.remove(tests)
    elif how == "reorder":
        nb.cells.remove(tests)
        nb.cells.insert(nb.cells.index(_cell(nb, TARGET)), tests)
    learner = folder / ("learner-" + "".join(ch if ch.isalnum() else "-" for ch in name)[:40])
    learner.mkdir(parents=True, exist_ok=True)
    path = learner / CHEAP
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def port() -> int:
    return answer_server()


@pytest.fixture()
def solutions_copy(tmp_path) -> Path:
    """A copy of solutions/ (an attack that writes there must not touch the real one)."""
    copy = tmp_path / "solutions"
    shutil.copytree(SOLUTIONS, copy)
    return copy


def _check_only_q2_lost(result, name):
    got = {q.question: q.points for q in result.questions if q.status != "manual"}
    assert got == {**FULL, TARGET_TESTS: 0.0}, (name, [(q.question, q.status, q.message) for q in result.questions])
    assert result.error is None, result.error


@BWRAP_ONLY
@pytest.mark.parametrize("name", list(ATTACKS))
def test_every_attack_loses_its_question_and_nothing_else(name, tmp_path, solutions_copy, port):
    path = attacked(name, tmp_path / "submissions", solutions_copy, port)
    before = (solutions_copy / CHEAP).read_bytes()

    result = grade(path, solutions_copy, timeout=8, sandbox="bwrap", limits=Limits(memory=1 << 30, cpu_seconds=120))

    _check_only_q2_lost(result, name)
    assert (solutions_copy / CHEAP).read_bytes() == before  # nothing written outside the scratch folder
    assert all(p.read_text() == "the instructor's\n" for p in instructor_files(tmp_path / "submissions").values())
    import bplab.engine

    assert callable(bplab.engine.Value.__add__)  # nothing changed in the grader's own classes


SAFE_WITHOUT_SANDBOX = [n for n, (_, how) in ATTACKS.items() if how != "bwrap" and not any(
    word in n for word in ("solutions folder", "another learner", "network", "write outside", "instructor's"))]


@pytest.mark.parametrize("name", SAFE_WITHOUT_SANDBOX[:4] + ["endless loop that ignores interrupts"])
def test_verdicts_do_not_depend_on_the_sandbox(name, tmp_path, port):
    """Without bwrap, tampering with checks, modules or the protocol still earns nothing."""
    path = attacked(name, tmp_path / "submissions", SOLUTIONS, port)
    result = grade(path, SOLUTIONS, timeout=8, sandbox="none", limits=Limits(memory=1 << 30, cpu_seconds=120))
    _check_only_q2_lost(result, name)


@pytest.mark.parametrize("name", ["read the solutions folder", "open a network connection (to fetch the answer)"])
def test_without_the_sandbox_files_and_network_are_reachable(name, tmp_path, solutions_copy, port):
    """What `--sandbox none` does not protect (README says so): the submission reads what the user can."""
    path = attacked(name, tmp_path / "submissions", solutions_copy, port)
    result = grade(path, solutions_copy, timeout=8, sandbox="none")
    assert {q.question: q.points for q in result.questions}[TARGET_TESTS] == 3.0


@BWRAP_ONLY
def test_honest_scores_are_the_same_in_both_sandboxes(tmp_path):
    scores = {}
    for mode in ("bwrap", "none"):
        result = grade(SOLUTIONS / CHEAP, SOLUTIONS, timeout=30, sandbox=mode)
        scores[mode] = {q.question: (q.points, q.status) for q in result.questions}
    assert scores["bwrap"] == scores["none"]
    assert sum(p for p, _ in scores["bwrap"].values()) == 10


def test_choose_falls_back_with_a_warning_and_refuses_a_missing_bwrap(monkeypatch):
    import bplab.course.sandbox as sandbox

    assert choose("none")[0] == "none" and "container" in choose("none")[1]
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "bwrap not found")
    mode, warning = sandbox.choose("auto")
    assert mode == "none" and "bwrap not found" in warning and "docker run" in warning
    with pytest.raises(RuntimeError, match="does not work here"):
        sandbox.choose("bwrap")
    with pytest.raises(ValueError, match="sandbox must be"):
        sandbox.choose("docker")


def test_grade_command_warns_when_there_is_no_sandbox(tmp_path, capsys, monkeypatch):
    import bplab.course.sandbox as sandbox

    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "user namespaces are disabled")
    path = tmp_path / CHEAP
    shutil.copy(SOLUTIONS / CHEAP, path)
    assert grade_command([str(path)], solutions=str(SOLUTIONS), sandbox="auto", allow_public_solutions=True) == 0
    captured = capsys.readouterr()
    assert "WARNING: no sandbox (user namespaces are disabled)" in captured.err
    assert "10 / 10 auto points" in captured.out
    monkeypatch.setattr(sandbox, "bwrap_problem", lambda: "no bwrap")
    assert grade_command([str(path)], solutions=str(SOLUTIONS), sandbox="bwrap", allow_public_solutions=True) == 3


@BWRAP_ONLY
def test_the_sandbox_sees_no_network_no_home_and_only_its_scratch(tmp_path):
    import subprocess
    import sys

    from bplab.course.sandbox import bwrap_command, environment

    scratch = tmp_path / "scratch"
    scratch.mkdir(mode=0o777)
    scratch.chmod(0o777)
    probe = (
        "import os, socket, sys\n"
        "s = socket.socket()\n"
        "try:\n    s.connect(('1.1.1.1', 80)); print('net')\nexcept OSError:\n    print('no-net')\n"
        f"print('solutions' if os.path.exists({str(SOLUTIONS)!r}) else 'no-solutions')\n"
        "open('/scratch/ok', 'w').write('1')\n"
        "for target in ['/usr/x', '/etc/x', sys.prefix + '/x']:\n"
        "    try:\n        open(target, 'w')\n        print('wrote', target)\n    except OSError:\n        pass\n"
    )
    done = subprocess.run([*bwrap_command(str(scratch)), sys.executable, "-c", probe], capture_output=True,
                          text=True, timeout=60, env=environment("/scratch"))
    assert done.stdout.split() == ["no-net", "no-solutions"], done.stdout + done.stderr
    assert (scratch / "ok").read_text() == "1"


def test_the_empty_tmp_is_mounted_before_the_binds_so_a_checkout_in_tmp_shows_through():
    from bplab.course.sandbox import bwrap_command

    if shutil.which("bwrap") is None:
        pytest.skip("bwrap not installed: the command line cannot be built")
    command = bwrap_command("/tmp/scratch-for-the-test")
    assert command.index("--tmpfs") < command.index("--ro-bind"), "a bind below /tmp would be hidden by the tmpfs"


@BWRAP_ONLY
def test_what_the_sandbox_refuses_is_reported_as_blocked(tmp_path, port):
    path = attacked("open a network connection (to fetch the answer)", tmp_path / "submissions", SOLUTIONS, port)
    result = grade(path, SOLUTIONS, timeout=8, sandbox="bwrap")
    q2 = next(q for q in result.questions if q.question == TARGET_TESTS)
    assert q2.status == "blocked" and q2.points == 0, q2
    cells = nbformat.read(path, as_version=4).cells
    where = next(i for i, c in enumerate(cells) if nbgrader_meta(c).get("grade_id") == "q2_dfdx") + 1  # from 1
    assert "sandbox without network" in q2.message and f"answer cell q2_dfdx (cell {where})" in q2.message


@pytest.mark.parametrize("mode", ["bwrap", "none"])
def test_a_generator_in_every_answer_cell_of_set_08_scores_full_marks_in_both_sandboxes(mode, tmp_path):
    if mode == "bwrap" and NEEDS_BWRAP:
        pytest.skip(f"bubblewrap does not work here: {bwrap_problem()}")
    name = "08-train-an-mlp-on-digits.ipynb"
    nb = nbformat.read(SOLUTIONS / name, as_version=4)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution") and cell.cell_type == "code":
            cell.source += "\nrng = np.random.default_rng(0)\n"
    path = tmp_path / name
    nbformat.write(nb, path)
    result = grade(path, SOLUTIONS, timeout=60, sandbox=mode)
    assert result.error is None and result.points == result.max_points > 0, result.questions


def test_cells_that_sleep_just_under_the_timeout_cannot_stretch_the_budget(tmp_path):
    """Every answer cell sleeps 1.7 s of its 2 s, and two of them end the process, so each restart sleeps through
    the earlier cells again: the notebook still stops at its 8 s budget (before and after: 8.0 s measured)."""
    nb = nbformat.read(SOLUTIONS / CHEAP, as_version=4)
    for gid in ("q1_numerical_derivative", "q2_dfdx", "q3_chain", "q4_best_step"):
        _cell(nb, gid).source += "\nimport time\ntime.sleep(1.7)  # just under the 2 s timeout\n"
    for gid in ("q2_dfdx", "q3_chain"):
        _cell(nb, gid).source += "import os\nos._exit(1)  # a restart runs the sleeping cells again\n"
    path = tmp_path / CHEAP
    nbformat.write(nb, path)
    result = grade(path, SOLUTIONS, timeout=2, sandbox="none", budget=8)
    statuses = [q.status for q in result.questions if q.status != "manual"]
    assert result.seconds < 8 + 4 and "budget of 8 s" in result.error, (result.seconds, result.error)
    assert "not reached" in statuses and set(statuses) <= {"passed", "failed", "timeout", "not reached"}, statuses


ODD_STUDENTS = ["<img src=x onerror=alert(1)>", "=HYPERLINK(\"http:x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", " =1+1",
                "\uff1d1+1", "\tx", "line\nbreak", "\x1b[2J\x1b[1A3 of 3 passed", "ok"]


def test_odd_student_names_cannot_inject_html_formulas_or_terminal_escapes(tmp_path, capsys):
    """Folder names (the student ids) made to attack what the instructor opens: the class report's HTML escapes
    them, the gradebook's and the LMS file's cells cannot start a formula, the terminal report shows escapes and
    line breaks as text; a folder named `..` is no student."""
    import csv
    from html.parser import HTMLParser

    from bplab.course.class_report import format_report, html_report, summarize
    from bplab.course.cli import main
    from bplab.course.gradebook import GradebookError, read_grades, student_of

    rows = [dict(notebook=f"submissions/{student}/06-xor-backprop-by-hand.ipynb", question=question, points=points,
                 max_points=3.0, status=status, message="m", mistake=mistake, set="06-xor-backprop-by-hand")
            for student in ODD_STUDENTS for question, points, status, mistake in
            [("q1_forward_tests", 0.0, "failed", "sign"), ("q2_backward_tests", 3.0, "passed", "")]]
    grades = tmp_path / "grades.csv"
    with open(grades, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ids = sorted({g.student for g in read_grades([grades])})
    assert len(ids) == len(ODD_STUDENTS) and all(i.isprintable() for i in ids)

    class Tags(HTMLParser):
        found: list = []

        def handle_starttag(self, tag, attrs):
            self.found.append(tag)
            assert all("alert" not in (value or "") for _, value in attrs)

    page = html_report(summarize(read_grades([grades])))
    parser = Tags()
    parser.feed(page)
    assert "img" not in parser.found and "script" not in parser.found
    assert "&lt;img src=x onerror=alert(1)&gt;" in page

    out, canvas = tmp_path / "gradebook.csv", tmp_path / "canvas.csv"
    assert main(["gradebook", str(grades), "--out", str(out)]) == 0
    assert main(["gradebook", str(grades), "--lms", "canvas", "--out", str(canvas)]) == 0
    for written, column in ((out, "student"), (canvas, "Student")):
        cells = [row[column] for row in csv.DictReader(written.open(newline="", encoding="utf-8"))]
        assert len(cells) == len(ODD_STUDENTS)
        for cell in cells:
            assert cell.lstrip(" \t\r\n")[:1] not in ("=", "+", "-", "@", "\uff1d"), cell  # text, not a formula
    assert main(["report", str(grades)]) == 0
    printed = capsys.readouterr().out
    assert "\x1b" not in printed and "\nbreak" not in printed
    odd = [g for g in read_grades([grades]) if g.student.startswith(("line", "\\x1b"))]
    text = format_report(summarize(odd))
    assert "line\\nbreak" in text and "\\x1b[2J" in text and "\x1b" not in text and "\nbreak" not in text
    with pytest.raises(GradebookError, match="cannot tell the student"):
        student_of("submissions/../06-xor-backprop-by-hand.ipynb")
