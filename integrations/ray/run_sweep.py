#!/usr/bin/env python3
"""Run trials of a Noether sweep as Ray tasks.

One Ray task per trial; each runs `noether run-trial TRIALS --index I` with `num_cpus` and
OPENBLAS_NUM_THREADS set to the CPUs per trial. Ray does the scheduling; each trial writes its
own run directory in the sweep folder, so the trials file, the sweep folder and the noether
binary must be at the same paths on every node (a shared file system).

`noether sweep run SWEEP --executor ray` calls this script; it can also be run by hand:

    python3 integrations/ray/run_sweep.py --trials sweeps/e4-width/trials.jsonl \\
        --noether "$PWD/.build/release/noether" --address 10.0.0.5:6379 --cpus-per-trial 2

Without --address a new local Ray instance is started, bound to 127.0.0.1.
"""
import argparse
import json
import os
import subprocess
import sys

# `noether run-trial`'s exit status when another process holds the trial (EX_TEMPFAIL).
BUSY = 75


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", required=True, help="the sweep's trials.jsonl")
    parser.add_argument("--noether", required=True, help="absolute path of the noether binary")
    parser.add_argument("--indices", help="comma-separated trial indices (default: every trial)")
    parser.add_argument("--cpus-per-trial", type=int, default=1)
    parser.add_argument("--address", help="an existing cluster (host:port, ray://host:port or auto); default: a new local one")
    parser.add_argument("--retry-failed", action="store_true", help="rerun trials that failed before")
    parser.add_argument("--cwd", default=os.getcwd(),
                        help="the working directory of every trial, for relative paths in its config (default: this one)")
    return parser.parse_args()


def trial_hashes(arguments):
    """The trials to run, index → hash prefix (passed to run-trial, which refuses to run if
    trials.jsonl has been rewritten since and the index names another trial)."""
    with open(arguments.trials) as trials:
        hashes = {trial["index"]: trial["hash"][:8] for trial in map(json.loads, filter(str.strip, trials))}
    if arguments.indices:
        wanted = [int(index) for index in arguments.indices.split(",") if index]
        missing = [index for index in wanted if index not in hashes]
        if missing:
            sys.exit(f"error: {arguments.trials} has no trials {missing}")
        return {index: hashes[index] for index in wanted}
    return hashes


def token_available():
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return True
    return os.path.exists(os.path.expanduser("~/.ray/auth_token"))


def connect(ray, arguments):
    if arguments.address:
        ray.init(address=arguments.address, logging_level="warning", log_to_driver=False)
    else:
        # A private single-node instance on loopback only.
        ray.init(address="local", _node_ip_address="127.0.0.1", include_dashboard=False,
                 logging_level="warning", log_to_driver=False)


def main():
    arguments = parse_arguments()
    trials = os.path.abspath(arguments.trials)
    noether = os.path.abspath(arguments.noether)
    for path, what in ((trials, "trials file"), (noether, "noether binary")):
        if not os.path.exists(path):
            sys.exit(f"error: the {what} {path} does not exist")
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
        sys.exit(f"error: Ray is not installed for {sys.executable}; install it with "
                 f"`{sys.executable} -m pip install ray`, or pass noether --python PATH")

    @ray.remote
    def run_trial(index, trial_hash):
        environment = dict(os.environ, OPENBLAS_NUM_THREADS=str(arguments.cpus_per_trial))
        command = [noether, "run-trial", trials, "--index", str(index), "--hash", trial_hash]
        if arguments.retry_failed:
            command.append("--retry-failed")
        try:
            finished = subprocess.run(command, env=environment, cwd=arguments.cwd, capture_output=True, text=True)
        except OSError as error:  # e.g. the binary is not at this path on this node
            return index, 127, f"trial {index}: cannot run {noether}: {error}"
        return index, finished.returncode, (finished.stdout + finished.stderr).strip()

    hashes = trial_hashes(arguments)
    connect(ray, arguments)
    print(f"{len(hashes)} trials as Ray tasks ({arguments.cpus_per_trial} CPU each)", flush=True)
    tasks = {run_trial.options(num_cpus=arguments.cpus_per_trial).remote(index, trial_hash): index
             for index, trial_hash in hashes.items()}
    pending = list(tasks)
    failures = 0
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        try:
            index, status, output = ray.get(done[0])
        except Exception as error:  # the task itself died (worker crash, out of memory, …)
            index, status, output = tasks[done[0]], 1, f"trial {tasks[done[0]]}: the Ray task failed: {error}"
        last_line = output.splitlines()[-1] if output else ""
        if status == 0:
            print(last_line or f"trial {index}: done", flush=True)
        elif status == BUSY:
            print(f"trial {index} is being run by another process; left to it", flush=True)
        else:
            failures += 1
            print(f"trial {index} failed (exit {status}): {last_line}", flush=True)
    ray.shutdown()
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
