#!/usr/bin/env python3
"""Portability lint: tediag must build on macOS (Homebrew) as well as on
Debian. Fails when src/, include/ or the fuzz/test C sources use a call,
header or constant that glibc/Linux has and macOS has not, outside a
configure-time guard (`#if TE_HAVE_...`). It cannot prove that the macOS
build works; it keeps known Linux-only names out of the code.
usage: check_portability.py SOURCE_ROOT"""
import pathlib
import re
import sys

LINUX_ONLY = [
    # string / memory
    "memrchr", "strchrnul", "rawmemchr", "strndupa", "strdupa", "explicit_bzero",
    "reallocarray", "malloc_usable_size", "mallinfo", "mremap", "qsort_r", "fopencookie",
    # process / files / fds
    "pipe2", "accept4", "dup3", "epoll_create", "epoll_create1", "epoll_wait", "inotify_init",
    "inotify_init1", "signalfd", "timerfd_create", "eventfd", "prctl", "sendfile", "splice",
    "getrandom", "statx", "posix_fadvise", "fdatasync", "ppoll", "sigtimedwait",
    "clock_nanosleep", "secure_getenv", "sched_getaffinity", "get_nprocs", "syncfs",
    "pthread_tryjoin_np", "pthread_timedjoin_np", "pthread_sigqueue",
    # glibc names
    "program_invocation_name", "program_invocation_short_name", "TEMP_FAILURE_RETRY",
    "__errno_location",
    # constants
    "O_PATH", "O_NOATIME", "O_TMPFILE", "MAP_POPULATE", "MAP_ANONYMOUS_NOT", "CLOCK_BOOTTIME",
    "MSG_NOSIGNAL", "SOCK_CLOEXEC", "SOCK_NONBLOCK",
    # struct stat: macOS names these st_mtimespec / st_atimespec
    "st_mtim", "st_atim", "st_ctim",
]
HEADERS = ["linux/", "sys/sysinfo.h", "features.h", "endian.h", "byteswap.h", "malloc.h",
           "sys/epoll.h", "sys/inotify.h", "sys/signalfd.h", "sys/timerfd.h", "sys/eventfd.h",
           "sys/prctl.h", "sys/sendfile.h", "mcheck.h", "error.h"]
word = re.compile(r"\b(" + "|".join(map(re.escape, LINUX_ONLY)) + r")\b")
header = re.compile(r'#\s*include\s*[<"](' + "|".join(map(re.escape, HEADERS)) + r")")
guard_open = re.compile(r"#\s*if\s+(defined\s*\(?\s*)?TE_HAVE_\w+")


def strip_comments(text):
    # comments and string literals may name anything
    return re.sub(r'/\*.*?\*/|//[^\n]*|"(\\.|[^"\\\n])*"',
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    files = [p for d in ("src", "include", "tests") for p in sorted((root / d).rglob("*.[ch]"))]
    problems = []
    for path in files:
        text = strip_comments(path.read_text(errors="replace"))
        depth = 0  # inside #if TE_HAVE_X ... #else: the guarded, native branch
        guarded = []
        for n, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if s.startswith("#"):
                d = s[1:].strip()
                if guard_open.match(s):
                    guarded.append(True)
                elif d.startswith("if"):
                    guarded.append(False)
                elif d.startswith("else") or d.startswith("elif"):
                    if guarded:
                        guarded[-1] = False
                elif d.startswith("endif"):
                    if guarded:
                        guarded.pop()
            if any(guarded):
                continue
            for m in word.finditer(line):
                problems.append(f"{path.relative_to(root)}:{n}: {m.group(1)} is not available on macOS "
                                "(guard it with a TE_HAVE_ check in meson.build, or use a portable call)")
            m = header.search(line)
            if m:
                problems.append(f"{path.relative_to(root)}:{n}: <{m.group(1)}> is not available on macOS")
    for p in problems:
        print(p)
    print(f"portability: {len(files)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
