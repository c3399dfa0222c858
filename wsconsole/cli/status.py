"""The exit statuses of every ``wsconsole`` command: a contract for scripts."""

import enum


class ExitStatus(enum.IntEnum):
    """Process exit statuses."""

    OK = 0
    ERROR = 1
    USAGE = 2
    UNCLEAN_CLOSE = 3  # connect: closed uncleanly or with a code other than 1000, 1001, 1005
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it
