import NoetherTensor

/// One recorded operation: its kind, the positions of its inputs on the tape, and where its
/// saved state lives. Payloads are plain values, so recording allocates nothing.
enum Operation<Scalar: TensorScalar> {
    case leaf
    case unary(UnaryFunction, input: Int)
    /// An activation whose forward pass kept `derivative`, f′(x), as an auxiliary tensor.
    case keptDerivative(input: Int, derivative: Int)
    case binary(BinaryOperation, Int, Int)
    case matmul(Int, Int, MatrixProductGeometry)
    /// y = x · Wᵀ + b over the last axis of x.
    case linear(input: Int, weight: Int, bias: Int?)
    case sum(input: Int)
    case mean(input: Int)
    case sumAlong(input: Int, axis: Int)
    case reshape(input: Int)
    case permute(input: Int, AxisPermutation)
    case slice(input: Int, axis: Int, start: Int)
    case concatenate(Int, Int, axis: Int)
    case softmax(input: Int, logarithm: Bool)
    /// `statistics` is the auxiliary tensor holding per-row mean then reciprocal deviation.
    case layerNorm(input: Int, gamma: Int?, beta: Int?, statistics: Int)
    /// `columns` is the auxiliary workspace the backward pass unfolds image chunks into.
    case conv2d(input: Int, weight: Int, bias: Int?, ConvolutionGeometry, columns: Int)
    /// `argmax` is the index buffer holding each output's source position.
    case maxPool2d(input: Int, PoolingGeometry, argmax: Int)
    /// ReLU then 2×2 max pooling; `argmax` as for `maxPool2d`, complemented where ReLU's derivative is 0.
    case reluMaxPool2x2(input: Int, PoolingGeometry, argmax: Int)
    case avgPool2d(input: Int, PoolingGeometry)
    case meanSquaredError(prediction: Int, target: Int)
    /// `labels` is an index buffer; `probabilities` an auxiliary tensor.
    case crossEntropy(logits: Int, labels: Int, probabilities: Int)

    // Layer kinds of the open model world (issue 13).
    /// `statistics` holds each row's reciprocal root mean square.
    case rmsNorm(input: Int, gain: Int?, statistics: Int)
    /// `statistics` holds each channel's mean then reciprocal deviation (batch or running ones).
    case batchNorm(input: Int, gain: Int?, bias: Int?, statistics: Int, training: Bool)
    /// `ids` is the index buffer of token ids (−1 where an id was invalid).
    case embedding(table: Int, ids: Int)
    /// `table` holds the cosines then sines of every (position, frequency).
    case rotaryEmbedding(input: Int, table: Int)
    /// `probabilities` holds the attention weights `[N, H, S, T]`.
    case attention(query: Int, key: Int, value: Int, probabilities: Int)
    /// `activation` holds σ(gate), `derivative` σ′(gate) (empty when the gate needs no gradient).
    case gatedActivation(gate: Int, up: Int, GatedActivation, activation: Int, derivative: Int)
    /// `mask` holds 0 or 1/(1 − p) per element.
    case dropout(input: Int, mask: Int)

    // A seed stack (the seeds of one experiment arm trained as one model).
    /// y[s] = x[s] · W[s]ᵀ + b[s].
    case seedLinear(input: Int, weight: Int, bias: Int?, seeds: Int)
    case seedMeanSquaredError(prediction: Int, target: Int, seeds: Int)
    /// `labels` is an index buffer; `probabilities` an auxiliary tensor.
    case seedCrossEntropy(logits: Int, labels: Int, probabilities: Int)
}
