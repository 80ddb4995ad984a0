"""Every command shown in README.md, docs/ and cluster/README.md runs as written, where practical.

    doc_commands_test.py SLIFT_BIN SOURCE_DIR

Commands are the lines of fenced code blocks that start with `slift`, `mpirun ... slift`,
`/usr/bin/python3`, `scripts/` or `bench/`. A `slift` command must name an existing subcommand;
one with real arguments (no placeholder in capitals, no `...`) must get past argument and config
checking: `slift run` and `slift submit` are run with `--dry-run` (they plan and print, and write
nothing), `simulate`/`train`/`sample`/`evaluate CONFIG` are planned the same way with
`slift run CONFIG --dry-run` and their `--set` flags. Commands that need a finished run's files
(`inspect`, `export-well`, `export`) are checked for their subcommand only. Scripts must exist, and shell
scripts be executable. Standard library only (Debian's python3).
"""

import glob
import os
import re
import shlex
import subprocess
import sys

SLIFT, SOURCE = sys.argv[1:3]
PLACEHOLDER = re.compile(r"\b[A-Z][A-Z_]{2,}\b|\.\.\.|->")
FAILURES = []


def report(ok, what, detail=""):
    print(("ok   " if ok else "FAIL ") + what + ("" if ok else "\n     " + detail.strip().replace("\n", "\n     ")))
    if not ok:
        FAILURES.append(what)


def commands(path):
    """(line number, command) of every command line in the fenced code blocks of a Markdown file."""
    inside = False
    for n, line in enumerate(open(path, encoding="utf8"), 1):
        if line.lstrip().startswith("```"):
            inside = not inside
            continue
        text = line.strip()
        if inside and re.match(r"(slift |mpirun .*slift |/usr/bin/python3 |(scripts|bench)/\S+\.(sh|py)\b)", text):
            yield n, text.split(" #")[0].strip()


def run(args):
    out = subprocess.run(args, cwd=SOURCE, capture_output=True, text=True, timeout=120)
    return out.returncode, out.stdout + out.stderr


def check_slift(where, text, words):
    words = words[words.index("slift"):]
    sub = words[1]
    code, out = run([SLIFT, sub, "--help"])
    if code != 0:
        return report(False, f"{where}: subcommand '{sub}' exists", out)
    if PLACEHOLDER.search(text) or sub in ("inspect", "export-well", "export"):
        return report(True, f"{where}: slift {sub} (subcommand only: placeholders or a finished run needed)")
    args = words[2:]
    if sub in ("simulate", "train", "sample", "evaluate"):
        sets = [a for i, a in enumerate(args) if a == "--set" or (i and args[i - 1] == "--set")]
        args = ["run", args[0], *sets]
    else:
        args = [sub, *args]
    if "--dry-run" not in args:
        args.append("--dry-run")
    code, out = run([SLIFT, *args])
    report(code == 0, f"{where}: slift {' '.join(args)}", out[-2000:])


def check_script(where, words):
    script = next(w for w in words if w.startswith(("scripts/", "bench/")))
    path = os.path.join(SOURCE, script)
    ok = os.path.isfile(path) and (not script.endswith(".sh") or os.access(path, os.X_OK))
    report(ok, f"{where}: {script} exists" + (" and is executable" if script.endswith(".sh") else ""))


def main():
    files = [os.path.join(SOURCE, "README.md"), os.path.join(SOURCE, "cluster", "README.md")]
    files += sorted(glob.glob(os.path.join(SOURCE, "docs", "*.md")))
    count = 0
    for f in files:
        for n, text in commands(f):
            where = f"{os.path.relpath(f, SOURCE)}:{n}"
            words = shlex.split(text.split("|")[0].split(">")[0])
            count += 1
            if "slift" in words:
                check_slift(where, text, words)
            else:
                check_script(where, words)
    report(count > 20, f"{count} commands found")
    print(f"{count - len(FAILURES)} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
