"""The command line: ``wsconsole [gui|serve|connect] ...``; :func:`main` is the entry point."""

from wsconsole.cli.parser import main
from wsconsole.cli.status import ExitStatus

__all__ = ["ExitStatus", "main"]
