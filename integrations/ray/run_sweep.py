#!/usr/bin/env python3
"""Run trials of a Noether sweep as Ray tasks.

One Ray task per unit of trials; each runs `noether run-trial TRIALS --index I …` with
`num_cpus` and OPENBLAS_NUM_THREADS set to the CPUs per trial (a trial's numbers do not depend
on it), its output in the sweep's logs/<index>-<hash8>.log of the unit's first trial. A unit is
one trial, or with --units the seeds of one arm, which `run-trial` trains as seed stacks, one
per CPU of the task (bit-identical to the seeds run alone); the largest units are halved until the cluster's CPUs
have a task each. Ray does the scheduling; each trial writes its own run directory in the sweep
folder, so the trials file, the sweep folder and the noether binary must be at the same paths on
every node (a shared file system).

A request no node can satisfy (more CPUs per trial than any node has) is an error at once
rather than a silent wait. Ctrl-C (SIGINT) or SIGTERM cancels the trials, stops their
processes (each resumes from its last checkpoint when the sweep is run again) and exits 130.

`noether sweep run SWEEP --executor ray` calls this script; it can also be run by hand:

    python3 integrations/ray/run_sweep.py --trials sweeps/e4-width/trials.jsonl \\
        --noether "$PWD/.build/release/noether" --address 10.0.0.5:6379 --cpus-per-trial 2

Without --address a new local Ray instance is started, bound to 127.0.0.1.
"""
import argparse
import json
import os
import signal
import subprocess
import sys

# `noether run-trial`'s exit status when another process holds the trial (EX_TEMPFAIL).
BUSY = 75
# Our exit status after an interruption, as a shell reports SIGINT.
INTERRUPTED = 130
# Seconds to wait for cancelled tasks to end.
STOP_GRACE = 20


class Report:
    """What happened, one JSON object a line, for `noether sweep run` (which prints the one
    message per situation that every executor prints); without a file, errors go to stderr."""

    def __init__(self, path):
        self.path = path

    def write(self, entry):
        if self.path:
            with open(self.path, "a") as report:
                report.write(json.dumps(entry) + "\n")

    def fail(self, message):
        self.write({"error": message})
        if not self.path:
            print(f"error: {message}", file=sys.stderr, flush=True)
        sys.exit(2)


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", required=True, help="the sweep's trials.jsonl")
    parser.add_argument("--noether", required=True, help="absolute path of the noether binary")
    parser.add_argument("--indices", help="comma-separated trial indices, one task each (default: every trial)")
    parser.add_argument("--units", help="trials to run in one task each, as ;-separated groups of comma-separated indices "
                                        "(`noether sweep run` passes the seeds of each arm as a group)")
    parser.add_argument("--cpus-per-trial", type=int, default=1)
    parser.add_argument("--address", help="an existing cluster (host:port, ray://host:port or auto); default: a new local one")
    parser.add_argument("--retry-failed", action="store_true", help="rerun trials that failed before")
    parser.add_argument("--cwd", default=os.getcwd(),
                        help="the working directory of every trial, for relative paths in its config (default: this one)")
    parser.add_argument("--report", help="append what happened (exits, errors) to this file as JSON lines")
    return parser.parse_args()


def trial_units(arguments, report):
    """The trials to run as units of (index, hash prefix) pairs; the hash is passed to run-trial,
    which refuses to run if trials.jsonl has been rewritten since and the index names another trial."""
    with open(arguments.trials) as trials:
        hashes = {trial["index"]: trial["hash"][:8] for trial in map(json.loads, filter(str.strip, trials))}
    try:
        if arguments.units:
            units = [[int(index) for index in unit.split(",") if index] for unit in arguments.units.split(";")]
        elif arguments.indices:
            units = [[int(index)] for index in arguments.indices.split(",") if index]
        else:
            units = [[index] for index in sorted(hashes)]
    except ValueError:
        report.fail(f"trial indices must be integers: {arguments.units or arguments.indices}")
    units = [unit for unit in units if unit]
    named = [index for unit in units for index in unit]
    missing = [index for index in named if index not in hashes]
    if missing:
        report.fail(f"{arguments.trials} has no trials {missing}")
    if len(set(named)) != len(named):
        report.fail(f"a trial is named twice in {arguments.units or arguments.indices}")
    return [[(index, hashes[index]) for index in unit] for unit in units]


def split_for(units, slots):
    """Halves the largest unit until there are `slots` units or each has one trial, as the
    local executor does for its jobs: a stack trains on one task's CPUs, so an idle CPU costs
    more than a smaller stack."""
    units = [list(unit) for unit in units]
    while len(units) < slots:
        largest = max(range(len(units)), key=lambda k: len(units[k]), default=None)
        if largest is None or len(units[largest]) < 2:
            break
        unit = units[largest]
        units[largest:largest + 1] = [unit[:len(unit) // 2], unit[len(unit) // 2:]]
    return units


def token_available():
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return True
    return os.path.exists(os.path.expanduser("~/.ray/auth_token"))


def connect(ray, arguments, report):
    try:
        if arguments.address:
            ray.init(address=arguments.address, logging_level="warning", log_to_driver=False)
        else:
            # A private single-node instance on loopback only.
            ray.init(address="local", _node_ip_address="127.0.0.1", include_dashboard=False,
                     logging_level="warning", log_to_driver=False)
    except Exception as error:  # Ray raises several kinds (ConnectionError, RuntimeError, …)
        where = f"the Ray cluster at {arguments.address}" if arguments.address else "a new local Ray instance"
        report.fail(f"cannot connect to {where}: {str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__}")


def check_capacity(ray, cpus_per_trial, report):
    """Fails at once when no node has the CPUs a trial asks for: Ray would wait for such a node
    forever, with only a warning in its own logs. Returns how many trials fit on the cluster at once."""
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    sizes = sorted((int(node.get("Resources", {}).get("CPU", 0)) for node in nodes), reverse=True)
    largest = sizes[0] if sizes else 0
    if cpus_per_trial > largest:
        report.fail(f"no node of the Ray cluster has {cpus_per_trial} CPUs for a trial (--cpus-per-trial {cpus_per_trial}): "
                    f"its {len(nodes)} node{'s' if len(nodes) != 1 else ''} {'have' if len(nodes) != 1 else 'has'} "
                    f"{', '.join(map(str, sizes)) or 'no'} CPU{'s' if largest != 1 else ''}; "
                    f"use --cpus-per-trial {max(largest, 1)} or less, or add a node with {cpus_per_trial} CPUs")
    return sum(size // cpus_per_trial for size in sizes)


def log_path(trials, index, trial_hash):
    """Named like the run directory, as the local executor names its logs."""
    return os.path.join(os.path.dirname(trials), "logs", f"{index:04d}-{trial_hash}.log")


def point_log(trials, index, trial_hash, leader):
    """A trial trained in its leader's task: its own log says where the output is (appended, as
    the log may hold earlier attempts), as the local executor says it."""
    log = log_path(trials, index, trial_hash)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "a") as output:
        output.write(json.dumps(f"trial {index} trains in one seed stack with trial {leader[0]}; "
                                f"the output is in {log_path(trials, *leader)}") + "\n")


def last_line(path):
    try:
        with open(path, errors="replace") as log:
            lines = [line.strip() for line in log if line.strip()]
        return lines[-1] if lines else ""
    except OSError:
        return ""


def stop_with_parent():
    """In the trial's process before it starts noether: SIGTERM when the Ray worker that runs
    it dies, as it does when the driver cancels the task (Linux; elsewhere Ray's own clean-up
    of a worker's children applies)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def interrupt_once(number, frame):
    """The first SIGINT or SIGTERM interrupts; later ones (Ctrl-C reaches us from the terminal
    and again from noether) must not break the clean-up."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main():
    arguments = parse_arguments()
    report = Report(arguments.report)
    trials = os.path.abspath(arguments.trials)
    noether = os.path.abspath(arguments.noether)
    for path, what in ((trials, "trials file"), (noether, "noether binary")):
        if not os.path.exists(path):
            report.fail(f"the {what} {path} does not exist")
    # Without this variable Ray on Linux replaces 127.0.0.1 by the host's external address.
    os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # Clusters started by `ray start` (Ray >= 2.59) demand the token in ~/.ray/auth_token, but a
    # driver connecting by address sends it only in token mode; a cluster without
    # authentication accepts a token-mode driver too.
    if arguments.address and token_available():
        os.environ.setdefault("RAY_AUTH_MODE", "token")
    try:
        import ray
    except ImportError:
        report.fail(f"Ray is not installed for {sys.executable}; install it in a virtual environment "
                    f"(python3 -m venv ~/ray-venv && ~/ray-venv/bin/pip install ray) and pass noether "
                    f"--python ~/ray-venv/bin/python (or set NOETHER_PYTHON)")

    @ray.remote
    def run_unit(unit):
        environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(arguments.cpus_per_trial))
        command = [noether, "run-trial", trials]
        for index, trial_hash in unit:
            # Joined with "=", so that a hash beginning with "-" is still a value.
            command += [f"--index={index}", f"--hash={trial_hash}"]
        if arguments.retry_failed:
            command.append("--retry-failed")
        log = log_path(trials, *unit[0])
        try:
            os.makedirs(os.path.dirname(log), exist_ok=True)
            for member in unit[1:]:
                point_log(trials, *member, leader=unit[0])
            with open(log, "a") as output:
                process = subprocess.Popen(command, env=environment, cwd=arguments.cwd, stdout=output, stderr=subprocess.STDOUT,
                                           preexec_fn=stop_with_parent)
        except OSError as error:  # e.g. the binary or the sweep is not at this path on this node
            return 127, f"cannot run {noether} with its log {log}: {error}"
        status = process.wait()
        # A shell's convention, as noether's local executor reports it: 128 + n for signal n.
        return 128 - status if status < 0 else status, last_line(log)

    units = trial_units(arguments, report)
    signal.signal(signal.SIGINT, interrupt_once)
    signal.signal(signal.SIGTERM, interrupt_once)
    tasks = {}
    try:
        connect(ray, arguments, report)
        units = split_for(units, check_capacity(ray, arguments.cpus_per_trial, report))
        count = sum(map(len, units))
        print(f"{count} trials as {len(units)} Ray task{'s' if len(units) != 1 else ''} "
              f"({arguments.cpus_per_trial} CPU{'s' if arguments.cpus_per_trial != 1 else ''} each"
              f"{'; the seeds of an arm as one seed stack' if count > len(units) else ''})", flush=True)
        tasks = {run_unit.options(num_cpus=arguments.cpus_per_trial).remote(unit): unit for unit in units}
        pending = list(tasks)
        failures = 0
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            unit = tasks[done[0]]
            try:
                status, line = ray.get(done[0])
            except Exception as error:  # the task itself died (worker crash, out of memory, …)
                status, line = None, f"the Ray task failed: {error}"
            # One exit for the unit: noether files each trial by its own state and attempts.
            for index, _ in unit:
                report.write({"index": index, "exit": status, "detail": line})
            names = ", ".join(str(index) for index, _ in unit)
            what = f"trial{'s' if len(unit) > 1 else ''} {names}"
            if status == 0:
                print(line if len(unit) == 1 and line else f"{what}: done", flush=True)
            elif status == BUSY:
                print(f"{what}: one is being run by another process; left to it" if len(unit) > 1
                      else f"{what} is being run by another process; left to it", flush=True)
            else:
                failures += 1
                print(f"{what} ended with exit status {status}: {line}", flush=True)
    except KeyboardInterrupt:
        # Killing a task's worker stops its trial (SIGTERM from stop_with_parent); the trial
        # resumes from its last checkpoint when the sweep is run again.
        for reference in tasks:
            ray.cancel(reference, force=True)
        ray.wait(list(tasks), num_returns=len(tasks), timeout=STOP_GRACE)
        report.write({"interrupted": True})
        ray.shutdown()
        sys.exit(INTERRUPTED)
    ray.shutdown()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
