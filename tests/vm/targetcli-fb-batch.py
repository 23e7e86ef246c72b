#!/usr/bin/python3
# Runs targetcli-fb commands, one per line of standard input, in one Python
# process, as `targetcli COMMAND` runs each: Debian's /usr/bin/targetcli,
# loaded as a module, builds its shell and root node once; before each
# command the root node is refreshed from configfs (as a new process would
# find it) and the command runs through the same `run_cmdline`, with its
# standard output and error in DIR/N.out and DIR/N.err and its exit status
# (0, or 1 where targetcli's main() prints the exception and exits 1) in
# DIR/N.rc, N counting from 0. Under TCG each targetcli process spends
# seconds starting Python and importing targetcli-fb; a test that compares
# many commands' outputs pays that once.
#
#   targetcli-fb-batch.py DIR <COMMANDS
#
# Run it with standard output to a file, as the commands' own outputs are:
# configshell reads whether it is a terminal when it is imported.
import importlib.machinery
import importlib.util
import os
import sys


def load_targetcli():
    loader = importlib.machinery.SourceFileLoader("targetcli_main", "/usr/bin/targetcli")
    spec = importlib.util.spec_from_loader("targetcli_main", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: targetcli-fb-batch.py DIR <COMMANDS")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    commands = [line.rstrip("\n") for line in sys.stdin if line.strip()]
    tcli = load_targetcli()
    shell = tcli.TargetCLI(os.getenv("TARGETCLI_HOME", "~/.targetcli"))
    root = tcli.UIRoot(shell, as_root=os.getuid() == 0)
    saved_out, saved_err = os.dup(1), os.dup(2)
    for n, command in enumerate(commands):
        base = os.path.join(out_dir, str(n))
        sys.stdout.flush()
        sys.stderr.flush()
        with open(base + ".out", "w") as out, open(base + ".err", "w") as err:
            os.dup2(out.fileno(), 1)
            os.dup2(err.fileno(), 2)
            rc = 0
            try:
                root.refresh()
                shell.run_cmdline(command)
            except Exception as e:  # as targetcli's main(): message, exit 1
                print(str(e), file=sys.stderr)
                rc = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved_out, 1)
            os.dup2(saved_err, 2)
        with open(base + ".rc", "w") as f:
            f.write("%d\n" % rc)


if __name__ == "__main__":
    main()
