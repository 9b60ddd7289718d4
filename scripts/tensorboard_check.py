"""Reads a Noether run's TensorBoard event file with TensorBoard's own reader (EventAccumulator,
what `tensorboard --logdir` uses) and checks that it shows every tag and every point of the
run's metrics.jsonl, to float32 precision, zeros included (needs `pip install tensorboard`).

    python scripts/tensorboard_check.py RUN_DIR

Exits 0 when every point agrees, 1 with the first disagreements otherwise. The Swift test
TensorBoardCheckTests runs it on a fresh run when $NOETHER_PYTHON (or python3) has tensorboard;
CI installs it and sets NOETHER_REQUIRE_TENSORBOARD=1 so that the test cannot be skipped there.
"""
import json
import math
import os
import struct
import sys

from tensorboard.backend.event_processing import event_accumulator


def float32(value):
    """The float32 TensorBoard stores for a metric value (None, i.e. JSON null, is non-finite)."""
    if value is None:
        return None
    return struct.unpack("<f", struct.pack("<f", value))[0]


def same(expected, shown):
    if expected is None:  # metrics.jsonl writes NaN and ±inf as null
        return not math.isfinite(shown)
    if math.isnan(expected):
        return math.isnan(shown)
    return expected == shown


def main(run):
    expected = {}
    with open(os.path.join(run, "metrics.jsonl")) as f:
        for line in f:
            if line.strip():
                record = json.loads(line)
                expected.setdefault(record["name"], {})[record["step"]] = float32(record["value"])
    # size_guidance 0: keep every point (the default samples 10,000 per tag).
    accumulator = event_accumulator.EventAccumulator(run, size_guidance={event_accumulator.SCALARS: 0})
    accumulator.Reload()
    shown_tags = set(accumulator.Tags()["scalars"])
    problems = [f"tag {tag} is missing" for tag in sorted(set(expected) - shown_tags)]
    problems += [f"tag {tag} is not in metrics.jsonl" for tag in sorted(shown_tags - set(expected))]
    points = 0
    for tag in sorted(set(expected) & shown_tags):
        shown = {event.step: event.value for event in accumulator.Scalars(tag)}
        for step, value in sorted(expected[tag].items()):
            points += 1
            if step not in shown:
                problems.append(f"{tag} at step {step}: missing (metrics.jsonl has {value})")
            elif not same(value, shown[step]):
                problems.append(f"{tag} at step {step}: TensorBoard shows {shown[step]}, metrics.jsonl has {value}")
        problems += [f"{tag} at step {step}: not in metrics.jsonl" for step in sorted(set(shown) - set(expected[tag]))]
    if problems:
        print(f"{len(problems)} disagreements between TensorBoard and metrics.jsonl in {run}:")
        for problem in problems[:20]:
            print("  " + problem)
        sys.exit(1)
    print(f"TensorBoard shows all {len(expected)} tags and {points} points of {run}/metrics.jsonl")


if __name__ == "__main__":
    main(sys.argv[1])
