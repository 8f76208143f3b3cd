"""bplab.course.doctor, behind bplab.doctor(): checks on made-up versions, and `bplab doctor` run for real."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import bplab
from bplab.course.doctor import PACKAGES, Problem, collect, environment_kind, find_problems, major

GOOD = {
    "bplab": "0.1.0", "numpy": "2.1.0", "matplotlib": "3.9.2", "ipywidgets": "8.1.5",
    "jupyterlab": "4.2.5", "jupyterlab_widgets": "3.0.13", "notebook": "7.2.2", "ipykernel": "6.29.5",
}
REQUIREMENTS = [
    "numpy>=1.24", "matplotlib>=3.7", "ipywidgets<9,>=8", "jupyterlab<5,>=4",
    "jupyterlab_widgets<4,>=3", "notebook<8,>=7", "ipykernel>=6", 'pytest>=7; extra == "test"',
]
VENV = "/home/learner/bplab/.venv"


def problems(**changes):
    versions = dict(GOOD, **changes.pop("versions", {}))
    facts = dict(prefix=VENV, base_prefix="/usr", project_venv=VENV, requirements=REQUIREMENTS,
                 python=(3, 11, 4), requires_python=">=3.10")
    facts.update(changes)
    return find_problems(versions, **facts)


def fixes(found):
    return [problem.fix for problem in found]


def test_a_good_environment_has_no_problem():
    assert problems() == []


@pytest.mark.parametrize(
    ("widgets", "frontend", "fix"),
    [
        ("8.1.5", "1.1.7", "pip install 'jupyterlab_widgets>=3,<4'"),
        ("7.8.1", "3.0.13", "pip install 'jupyterlab_widgets>=1,<2'"),
    ],
)
def test_jupyterlab_widgets_must_match_ipywidgets(widgets, frontend, fix):
    found = problems(versions={"ipywidgets": widgets, "jupyterlab_widgets": frontend})
    mismatch = [p for p in found if "does not match" in p.what]
    assert len(mismatch) == 1
    assert mismatch[0].fix == fix
    assert "Error displaying widget" in mismatch[0].what


def test_ipywidgets_7_with_its_own_frontend_still_fails_the_course_requirement():
    found = problems(versions={"ipywidgets": "7.8.1", "jupyterlab_widgets": "1.1.7"})
    assert not [p for p in found if "does not match" in p.what]
    assert "pip install 'ipywidgets<9,>=8'" in fixes(found)
    assert "pip install 'jupyterlab_widgets<4,>=3'" in fixes(found)


def test_the_matching_pairs_pass_the_widget_check():
    for widgets, frontend in [("8.0.0", "3.0.0"), ("7.7.0", "1.0.0")]:
        found = find_problems({"ipywidgets": widgets, "jupyterlab_widgets": frontend}, VENV)
        assert found == []


def test_a_missing_package_gets_an_install_command():
    found = problems(versions={"jupyterlab_widgets": None, "bplab": None})
    assert "pip install 'jupyterlab_widgets<4,>=3'" in fixes(found)
    assert "pip install -e ." in fixes(found)
    assert any("jupyterlab_widgets is not installed" in p.what for p in found)


def test_a_missing_front_end_is_a_warning_not_a_fix_to_install():
    # the kernel's Python on Colab or a JupyterHub has no JupyterLab of its own: installing one there would not help
    front = ("jupyterlab", "notebook", "ipykernel")  # bplab's lab extra (with jupyterlab_widgets)
    requirements = [r + '; extra == "lab"' if r.startswith(front) else r for r in REQUIREMENTS]
    found = problems(versions={"jupyterlab": None, "notebook": None}, requirements=requirements)
    assert len(found) == 2 and all(p.warning for p in found), found
    assert all("Colab" in p.what and "make lab" in p.fix and "pip install" not in p.fix for p in found)
    kernel = problems(versions={"ipykernel": None}, requirements=requirements)
    assert len(kernel) == 1 and not kernel[0].warning, "a kernel is needed wherever the notebooks run"
    assert kernel[0].fix == "pip install 'ipykernel>=6'"


def test_too_old_versions_are_reported_and_extras_ignored():
    found = problems(versions={"notebook": "6.5.4", "numpy": "1.21.0"})
    assert sorted(fixes(found)) == ["pip install 'notebook<8,>=7'", "pip install 'numpy>=1.24'"]


def test_python_version_is_checked_against_requires_python():
    found = problems(python=(3, 9, 18))
    assert len(found) == 1 and "Python 3.9.18" in found[0].what


def test_environment_kinds():
    assert problems(prefix="/opt/conda/envs/bplab", conda=True) == []
    assert problems(prefix="/srv/other-venv") == []  # a venv: prefix differs from base_prefix
    system = problems(prefix="/usr", base_prefix="/usr", project_venv=None)
    # a system Python is right on Colab and in course containers: a warning, not a failure
    assert len(system) == 1 and system[0].warning and "system" in system[0].what and "make lab" in system[0].fix
    assert environment_kind(VENV, "/usr", False, VENV) == "the course's .venv"
    assert environment_kind("/usr", "/usr", False, VENV) == "the system Python"
    assert environment_kind("/opt/conda", "/opt/conda", True, None) == "a conda environment"


@pytest.mark.parametrize(
    ("backend", "ok"),
    [(None, True), ("module://matplotlib_inline.backend_inline", True), ("inline", True),
     ("module://ipympl.backend_nbagg", True), ("Agg", False), ("TkAgg", False)],
)
def test_matplotlib_backend(backend, ok):
    found = problems(backend=backend)
    assert (found == []) is ok
    if not ok:
        assert "MPLBACKEND" in found[0].what and "unset MPLBACKEND" in found[0].fix


def test_missing_widget_extension_files():
    # not in any folder this Python's Jupyter searches: the server may run elsewhere (JupyterHub), so a warning
    found = problems(widget_extension_found=False)
    assert len(found) == 1 and found[0].warning
    assert fixes(found)[0].startswith("pip install 'jupyterlab_widgets==3.0.13' --force-reinstall")
    # a running server that answers without it: certain, so a problem
    served = problems(widget_extension_found=False, extension_seen_by_server=True)
    assert len(served) == 1 and not served[0].warning and "running Jupyter server" in served[0].what
    assert problems(widget_extension_found=True) == []


def test_warnings_do_not_fail_the_check(monkeypatch, capsys):
    from bplab.course import doctor

    facts = doctor.collect()
    facts.update(prefix="/usr", base_prefix="/usr", project_venv=None, conda=False, backend=None)
    monkeypatch.setattr(doctor, "collect", lambda: facts)
    assert doctor.run() is True
    out = capsys.readouterr().out
    assert "note: this Python (/usr) is the system's" in out and "Everything is ready" in out


def test_the_extension_is_looked_for_where_jupyter_looks(tmp_path, monkeypatch):
    from bplab.course import doctor

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path))
    monkeypatch.setattr(doctor, "_served_by_running_server", lambda: None)
    (tmp_path / "labextensions" / "@jupyter-widgets" / "jupyterlab-manager").mkdir(parents=True)
    assert doctor._extension_on_jupyter_path() is True
    assert doctor.collect()["widget_extension_found"] is True


def test_running_servers_are_read_from_the_runtime_folder(tmp_path, monkeypatch):
    """The servers the check asks are those of jupyter_server's list_running_servers: a jpserver-<pid>.json in
    Jupyter's runtime folder whose process is alive (read without importing jupyter_server)."""
    import json

    from bplab.course import doctor

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no process has any more
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    (tmp_path / "jpserver-1.json").write_text(json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:1/"}))
    (tmp_path / "jpserver-2.json").write_text(json.dumps({"pid": gone.pid, "url": "http://127.0.0.1:2/"}))
    (tmp_path / "jpserver-3.json").write_text('{"pid": ')  # being written
    (tmp_path / "kernel-4.json").write_text(json.dumps({"pid": os.getpid()}))  # not a server's file
    assert [server["url"] for server in doctor._running_servers()] == ["http://127.0.0.1:1/"]
    assert doctor._served_by_running_server() is None  # nothing listens on port 1: no answer, no verdict


def test_the_check_is_cheap_it_imports_no_server():
    """Notebook 00 runs the check in every learner's first kernel: it must not import the Jupyter server (and its
    jsonschema, whose IRI grammar alone took 1.2 CPU-seconds to build) to ask a running one."""
    probe = ("import sys, bplab; bplab.doctor(); "
             "print(sorted(m for m in ('jupyter_server', 'jsonschema', 'tornado') if m in sys.modules))")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout


def test_major():
    assert major("8.1.2") == 8 and major("10.0rc1") == 10
    assert major(None) is None and major("dev") is None


def test_problems_are_plain_values():
    assert Problem("a", "b") == Problem("a", "b")


def test_collect_reads_this_environment():
    facts = collect()
    assert facts["prefix"] == sys.prefix
    assert set(facts["versions"]) == set(PACKAGES)
    assert facts["versions"]["bplab"] is not None
    assert any(r.startswith("ipywidgets") for r in facts["requirements"])


def test_bplab_doctor_can_be_called_again_and_again(monkeypatch, capsys):
    monkeypatch.delenv("MPLBACKEND", raising=False)
    assert bplab.doctor() is True
    assert bplab.doctor() is True  # a plain function, callable again and again
    assert capsys.readouterr().out.count("Everything is ready") == 2


def test_bplab_doctor_command_passes_in_the_course_environment():
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    command = Path(sys.executable).with_name("bplab")
    argv = [str(command), "doctor"] if command.exists() else [sys.executable, "-m", "bplab.course.cli", "doctor"]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in PACKAGES:
        assert f"{name} " in result.stdout
    assert "jupyterlab_widgets" in result.stdout and "match" in result.stdout
    assert "Everything is ready" in result.stdout


def test_bplab_doctor_command_reports_a_problem_with_its_fix():
    env = dict(os.environ, MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-m", "bplab.course.cli", "doctor"], capture_output=True,
                            text=True, env=env, timeout=120)
    assert result.returncode == 1
    assert "fix: unset MPLBACKEND" in result.stdout
