"""Writes the TensorBoard golden file the IO tests compare against, with TensorBoard's own
protobufs and record writer (pip install tensorboard). Run from the repository root:

    python scripts/make_tensorboard_golden.py Tests/NoetherIOTests/Fixtures/golden.tfevents
"""
import math
import sys

from tensorboard.compat.proto import event_pb2, summary_pb2
from tensorboard.summary.writer.record_writer import RecordWriter


# Scalars a proto3 writer could get wrong: zeros (simple_value is in a oneof, so a zero is
# written), signed zero, negatives, NaN, infinities, a subnormal and the extremes of float32.
SPECIAL_SCALARS = [0.0, -0.0, -1.5, math.nan, math.inf, -math.inf, 1e-40, 1.1754943508222875e-38, 3.4028234663852886e38]


def main(path):
    histogram = summary_pb2.HistogramProto(
        min=-1.0, max=2.0, num=4.0, sum=2.5, sum_squares=6.25,
        bucket_limit=[0.0, 1.0, 2.0], bucket=[1.0, 1.0, 2.0])
    events = [
        event_pb2.Event(wall_time=1700000000.0, file_version="brain.Event:2"),
        event_pb2.Event(wall_time=1700000001.5, step=3, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="train_loss", simple_value=0.25)])),
        event_pb2.Event(wall_time=1700000002.25, step=10, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="layers.0/weight", histo=histogram)])),
    ]
    events += [
        event_pb2.Event(wall_time=1700000003.0 + i, step=20 + i, summary=summary_pb2.Summary(
            value=[summary_pb2.Summary.Value(tag="special", simple_value=value)]))
        for i, value in enumerate(SPECIAL_SCALARS)
    ]
    with open(path, "wb") as f:
        writer = RecordWriter(f)
        for event in events:
            writer.write(event.SerializeToString())
        writer.flush()


if __name__ == "__main__":
    main(sys.argv[1])
