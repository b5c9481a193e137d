"""The layers of DESIGN.md §5: the import-linter contracts in pyproject.toml, and
the rules never importing Textual, checked again in a fresh interpreter."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import bakso_tui

ROOT = Path(__file__).resolve().parent.parent

RULE_PACKAGES = ("db", "domain", "attachments", "printing", "jobs", "demo")


def _rule_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(bakso_tui.__path__, "bakso_tui."):
        parts = info.name.split(".")
        if len(parts) > 1 and parts[1] in RULE_PACKAGES and "migrations" not in parts:
            names.append(info.name)
    return names


def test_rule_modules_exist():
    assert "bakso_tui.domain.nik" in _rule_modules()
    assert "bakso_tui.db.models" in _rule_modules()


def test_rules_never_import_textual():
    code = (
        "import importlib, sys\n"
        f"for name in {_rule_modules() + ['bakso_tui.cli', 'bakso_tui.config']!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"rules layer pulled in: {out.stdout.strip()}"


def test_imports_keep_the_layers():
    # The contracts run here rather than as a step of the Makefile, so that
    # every way of running the suite checks them (`make test`, a bare
    # `pytest`, CI), and a broken one fails like any other test.
    out = subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command as c; c()",
         "--no-cache", str(ROOT / "pyproject.toml")],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert out.returncode == 0, out.stdout[out.stdout.find("Broken contracts"):] + out.stderr


def test_the_schedule_package_gives_its_names_and_modules_on_first_use():
    """``domain.schedule`` loads its modules when first asked (the dashboard takes
    two of seven): every exported name, and every module as an attribute
    (``schedule.days.check_capacity``), resolves in a fresh process, in any order."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from bakso_tui.domain import schedule\n"
        "assert not [m for m in sys.modules if m.startswith('bakso_tui.domain.schedule.')]\n"
        "for module in schedule.EXPORTS:\n"
        "    assert getattr(schedule, module).__name__ == f'bakso_tui.domain.schedule.{module}'\n"
        "for name in schedule.__all__:\n"
        "    assert getattr(schedule, name) is getattr(getattr(schedule, schedule._HOME[name]), name)\n"
        "assert sorted(schedule.__all__) == sorted(n for names in schedule.EXPORTS.values() for n in names)\n"
        "try:\n"
        "    schedule.nothing_of_the_kind\n"
        "except AttributeError:\n"
        "    print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr[-2000:]
