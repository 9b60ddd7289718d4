import NoetherTensor

extension Tape {
    /// Runs the reverse pass from `loss`, seeding its gradient with ones (or `seed`, which must
    /// have the loss's shape: a vector–Jacobian product with that vector).
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    public func backward(from loss: Variable<Scalar>, seed: Tensor<Scalar>? = nil) {
        precondition(loss.tape === self, "backward(from:) with a variable of another tape")
        let shape = values[loss.index].shape
        precondition(seed.map { $0.shape == shape } ?? true, "seed shape differs from \(shape)")
        gradients.removeAll(keepingCapacity: true)
        gradients.append(contentsOf: repeatElement(nil, count: values.count))
        guard needsGradient[loss.index] else { return }
        let start = arena.tensor(shape)
        if let seed {
            seed.withUnsafeBufferPointer { start.unsafeBaseAddress.update(from: $0.baseAddress!, count: shape.count) }
        } else {
            start.unsafeBaseAddress.update(repeating: 1, count: shape.count)
        }
        gradients[loss.index] = start
        for index in stride(from: loss.index, through: 0, by: -1) {
            guard needsGradient[index], let gradient = gradients[index] else { continue }
            propagate(operations[index], output: index, gradient: gradient.unsafeBaseAddress)
        }
    }

    /// Applies the vector–Jacobian product of one operation.
    private func propagate(_ operation: Operation<Scalar>, output: Int, gradient g: UnsafePointer<Scalar>) {
        switch operation {
        case .leaf: break
        case .unary(let function, let x): backwardUnary(function, input: x, output: output, gradient: g)
        case .keptDerivative(let x, let derivative): backwardKeptDerivative(input: x, derivative: derivative, gradient: g)
        case .binary(let op, let a, let b): backwardBinary(op, a, b, output: output, gradient: g)
        case .matmul(let a, let b, let geometry): backwardMatmul(a, b, geometry, gradient: g)
        case .linear(let x, let w, let b): backwardLinear(input: x, weight: w, bias: b, gradient: g)
        case .sum(let x): backwardSum(input: x, mean: false, gradient: g)
        case .mean(let x): backwardSum(input: x, mean: true, gradient: g)
        case .sumAlong(let x, let axis): backwardSumAlong(input: x, axis: axis, gradient: g)
        case .reshape(let x): backwardReshape(input: x, gradient: g)
        case .permute(let x, let permutation): backwardPermute(input: x, output: output, permutation, gradient: g)
        case .slice(let x, let axis, let start): backwardSlice(input: x, output: output, axis: axis, start: start, gradient: g)
        case .concatenate(let a, let b, let axis): backwardConcatenate(a, b, output: output, axis: axis, gradient: g)
        case .softmax(let x, let logarithm): backwardSoftmax(input: x, output: output, logarithm: logarithm, gradient: g)
        case .layerNorm(let x, let gamma, let beta, let statistics):
            backwardLayerNorm(input: x, gamma: gamma, beta: beta, statistics: statistics, gradient: g)
        case .conv2d(let x, let w, let b, let geometry, let columns):
            backwardConv2d(input: x, weight: w, bias: b, geometry, columns: columns, gradient: g)
        case .maxPool2d(let x, let geometry, let argmax): backwardMaxPool(input: x, geometry, argmax: argmax, gradient: g)
        case .reluMaxPool2x2(let x, let geometry, let argmax): backwardReLUMaxPool(input: x, geometry, argmax: argmax, gradient: g)
        case .avgPool2d(let x, let geometry): backwardAvgPool(input: x, geometry, gradient: g)
        case .meanSquaredError(let p, let t): backwardMeanSquaredError(prediction: p, target: t, gradient: g)
        case .crossEntropy(let logits, let labels, let probabilities):
            backwardCrossEntropy(logits: logits, labels: labels, probabilities: probabilities, gradient: g)
        case .rmsNorm(let x, let gain, let statistics): backwardRMSNorm(input: x, gain: gain, statistics: statistics, gradient: g)
        case .batchNorm(let x, let gain, let bias, let statistics, let training):
            backwardBatchNorm(input: x, gain: gain, bias: bias, statistics: statistics, training: training, gradient: g)
        case .embedding(let table, let ids): backwardEmbedding(table: table, ids: ids, output: output, gradient: g)
        case .rotaryEmbedding(let x, let table): backwardRotaryEmbedding(input: x, table: table, gradient: g)
        case .attention(let q, let k, let v, let probabilities):
            backwardAttention(query: q, key: k, value: v, probabilities: probabilities, output: output, gradient: g)
        case .gatedActivation(let gate, let up, let kind, let activation, let derivative):
            backwardGatedActivation(gate: gate, up: up, kind, activation: activation, derivative: derivative, gradient: g)
        case .dropout(let x, let mask): backwardDropout(input: x, mask: mask, gradient: g)
        case .seedLinear(let x, let w, let b, let seeds): backwardSeedLinear(input: x, weight: w, bias: b, seeds: seeds, gradient: g)
        case .seedMeanSquaredError(let p, let t, let seeds): backwardSeedMeanSquaredError(prediction: p, target: t, seeds: seeds, gradient: g)
        case .seedCrossEntropy(let logits, let labels, let probabilities):
            backwardSeedCrossEntropy(logits: logits, labels: labels, probabilities: probabilities, gradient: g)
        }
    }
}
