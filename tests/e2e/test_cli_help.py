"""Every command's `--help` describes every option and argument; `simulate --help` lists every
fault kind."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from tui_inventory.cli import build_parser
from tui_inventory.simulator.faults import FAULT_HELP, FAULTS


def subparser(name: str) -> argparse.ArgumentParser:
    parser = build_parser()
    subactions = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub = subactions.choices[name]
    assert isinstance(sub, argparse.ArgumentParser)
    return sub


@pytest.mark.parametrize("command", ["simulate", "demo"])
def test_every_option_is_described(command: str) -> None:
    for action in subparser(command)._actions:
        assert action.help, f"{command} {action.option_strings} has no help"
        if action.default not in (None, False, argparse.SUPPRESS):
            assert "%(default)s" in action.help, f"{action.option_strings}: default not shown"


def test_every_argument_of_every_command_is_described() -> None:
    """`--help` of each command (config's too) says what each option and argument is."""
    missing: list[str] = []

    def walk(parser: argparse.ArgumentParser, path: list[str]) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    walk(sub, [*path, name])
            elif not action.help:
                missing.append(" ".join([*path, *(action.option_strings or [action.dest])]))

    walk(build_parser(), [])
    assert missing == []


def test_simulate_help_lists_every_fault_kind() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui_inventory", "simulate", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert set(FAULTS) == set(FAULT_HELP)
    lines = done.stdout.splitlines()
    for fault, text in FAULT_HELP.items():
        assert any(line.split() and line.split()[0] == fault and text in line for line in lines), (
            fault
        )
    assert "--faults SPEC" in done.stdout and "KIND:FAULT@PAGE[xTIMES]" in done.stdout
