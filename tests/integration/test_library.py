#!/usr/bin/env python3
"""The README's library example, built against the INSTALLED library:
`meson install --destdir` into a temp dir, the example taken from README.md
(section "The library", between its ```c fences), compiled with
`cc example.c $(pkg-config --cflags --libs tediag)` and run on the demo
capture with the installed rules; it must print the ent-unsatisfied diagnosis."""
import os
import re
import shlex
import shutil
import subprocess

import common

args = common.parse_args(lambda p: p.add_argument(
    "--readme", default=os.path.join(common.SOURCE_ROOT, "README.md"),
    help="README to take the example from (to try a proposed change)"))
s = common.Suite("library", args)
README = args.readme


def sh(label, argv, env=None, timeout=120):
    p = subprocess.run(argv, capture_output=True, env=env, timeout=timeout * s.slow)
    ok = s.check(p.returncode == 0, f"{label}: `{shlex.join(argv)}` exited {p.returncode}:\n"
                                    f"{p.stdout.decode(errors='replace')[-1500:]}"
                                    f"{p.stderr.decode(errors='replace')[-1500:]}")
    return p if ok else None


def extract_example():
    with open(README, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"(?ms)^## The library\s*$(.*?)(?=^## )", text)
    if not s.check(m, "README.md has no '## The library' section"):
        return None
    blocks = re.findall(r"(?ms)^```c\s*\n(.*?)^```\s*$", m.group(1))
    if not s.check(len(blocks) == 1, f"'The library' section has {len(blocks)} ```c blocks, expected 1"):
        return None
    return blocks[0]


def build_root():
    if args.build_root:
        return args.build_root
    # build/src/cli/tediag -> build
    return os.path.dirname(os.path.dirname(os.path.dirname(args.tediag)))


example = extract_example()
meson = shutil.which("meson")
pkg_config = shutil.which("pkg-config") or shutil.which("pkgconf")
cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
s.check(meson and pkg_config and cc, f"missing tools: meson={meson} pkg-config={pkg_config} cc={cc}")

if example and meson and pkg_config and cc:
    dest = s.path("dest")
    installed = sh("meson install", [meson, "install", "-C", build_root(), "--destdir", dest,
                                     "--no-rebuild", "--quiet"])
    if installed:
        pcs = [os.path.join(d, f) for d, _, files in os.walk(dest) for f in files
               if f == "tediag.pc"]
        rules = [d for d, _, files in os.walk(dest)
                 if d.endswith(os.path.join("share", "tediag", "rules"))]
        headers = [d for d, _, files in os.walk(dest) if "tediag.h" in files]
        s.check(len(pcs) == 1, f"installed tediag.pc: {pcs}")
        s.check(len(rules) == 1 and any(f.endswith(".yml") for f in os.listdir(rules[0])),
                f"installed rules under share/tediag/rules: {rules}")
        s.check(len(headers) == 1 and "report.h" in os.listdir(headers[0]),
                f"installed headers tediag/tediag.h and report.h: {headers}")
        for part in [os.path.join("bin", "tediag"), os.path.join("man1", "tediag.1"),
                     os.path.join("completions", "tediag"), os.path.join("site-functions", "_tediag")]:
            s.check(any(os.path.join(d, f).endswith(part) for d, _, fs in os.walk(dest) for f in fs),
                    f"installed files lack {part}")

    if installed and len(pcs) == 1 and len(rules) == 1:
        pc_dir = os.path.dirname(pcs[0])
        # The .pc says prefix=/usr/local (or the configured one); under --destdir the
        # files live below dest, so pkg-config is told the real prefix.
        with open(pcs[0]) as f:
            prefix = re.search(r"(?m)^prefix=(.*)$", f.read()).group(1)
        env = dict(s.env, PKG_CONFIG_PATH=pc_dir)
        flags = sh("pkg-config", [pkg_config, f"--define-variable=prefix={dest}{prefix}",
                                  "--cflags", "--libs", "tediag"], env=env)
        installed_rules = rules[0]
        libdir = None
        if flags:
            flags = shlex.split(flags.stdout.decode())
            libdirs = [f[2:] for f in flags if f.startswith("-L")]
            libdir = libdirs[0] if libdirs else None
            s.check(libdir and libdir.startswith(dest) and
                    any(n.startswith("libtediag.so") for n in os.listdir(libdir)),
                    f"pkg-config --libs must point into the install: {flags}")
            s.check(any(f.startswith("-I" + dest) for f in flags),
                    f"pkg-config --cflags must point into the install: {flags}")

        # The README hard-codes the default install location of the rules; the
        # temp install has them elsewhere. Substitute that one literal (and say so).
        source = example
        default_rules = f'"{prefix}/share/tediag/rules"'
        # An example that reads $TEDIAG_RULES runs unchanged (the env names the rules).
        if default_rules in source and 'getenv("TEDIAG_RULES")' not in source:
            source = source.replace(default_rules, f'"{installed_rules}"')
            print(f"[library] note: README example hard-codes {default_rules}; "
                  f"replaced by the temp install's rules dir to run it")
        src_path = s.write("example.c", source)
        exe = s.path("example")
        extra = []
        if s.sanitized:  # an instrumented libtediag needs the runtime in the program too
            extra = ["-fsanitize=address,undefined"]
        if flags and libdir:
            built = sh("cc example.c $(pkg-config ...)", [cc, src_path, "-o", exe] + extra + flags)
            warn = subprocess.run([cc, "-Wall", "-Wextra", "-fsyntax-only", src_path] + extra +
                                  [f for f in flags if f.startswith("-I")], capture_output=True)
            if warn.stderr:
                print(f"[library] note: the example has warnings with -Wall -Wextra:\n"
                      f"{warn.stderr.decode(errors='replace')}")
            if built:
                # The example must use the installed rules (not the source tree's).
                run_env = dict(s.env, LD_LIBRARY_PATH=libdir, TEDIAG_RULES=installed_rules)
                ldd = subprocess.run(["ldd", exe], capture_output=True, env=run_env)
                line = [l for l in ldd.stdout.decode().splitlines() if "libtediag" in l]
                s.check(line and dest in line[0],
                        f"the example must load the installed libtediag, ldd says {line}")
                p = subprocess.run([exe, common.DEMO], capture_output=True, env=run_env,
                                   timeout=30 * s.slow, cwd=s.dir)
                out = p.stdout.decode(errors="replace")
                s.check(p.returncode == 0, f"example exited {p.returncode}: "
                                           f"{p.stderr.decode(errors='replace')[-800:]}")
                s.check(re.search(r"(?m)^ent-unsatisfied: .*provisioning profile does not authorise",
                                  out),
                        f"example output lacks 'ent-unsatisfied: <diagnosis>': {out[:500]!r}")
                s.check(out.count("\n") == 1, f"example: expected exactly one incident line: {out!r}")
                s.check("com.apple.developer.system-extension.install" in out,
                        "example: the diagnosis lacks the entitlement filled in")
                print(f"[library] example printed: {out.strip()[:160]}")
                # With the README's rules path unchanged, the example can only work
                # where tediag is really installed (report the need for an argument/env).
                if source != example and not os.path.isdir(prefix + "/share/tediag/rules"):
                    print("[library] note: as written in README.md the example only runs where the "
                          f"rules are installed in {prefix}/share/tediag/rules")

s.done()
