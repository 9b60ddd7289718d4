/// How a dataset of token sequences is stored in a ``Dataset`` (the token tasks and byte-level
/// text):
///
/// - inputs are `[N, S]`: integer token ids in `0..<vocabulary`, stored exactly as floats (so
///   they batch, shuffle and slice like any other features), ready for
///   `Variable.embeddingLookup(in:)`;
/// - targets are `.classes` with one label per scored position: `targetPositions.count` labels
///   per sample, row-major, so `labels[n · P + i]` is what the model's output at position
///   `targetPositions.lowerBound + i` of sample n must predict.
///
/// A model produces logits `[N, S, classes]`, keeps the scored positions
/// (`slice(alongAxis: 1, targetPositions)`) and reshapes them to `[N · P, classes]` for the
/// ordinary cross-entropy against the batch's labels. Next-token data scores every position
/// (`0..<S`, labels the inputs shifted by one); an answer task scores the last one only.
public struct TokenSequenceLayout: Sendable, Equatable {
    /// Input ids lie in `0..<vocabulary`.
    public var vocabulary: Int
    /// The positions of each sequence whose outputs are scored, in order.
    public var targetPositions: Range<Int>

    public init(vocabulary: Int, targetPositions: Range<Int>) {
        self.vocabulary = vocabulary
        self.targetPositions = targetPositions
    }

    /// Labels per sample.
    public var targetsPerSample: Int { targetPositions.count }
}
