import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func meanSquaredError(_ prediction: Variable<Scalar>, _ target: Variable<Scalar>) -> Variable<Scalar> {
        precondition(prediction.shape.count == target.shape.count,
                     "mse: prediction \(prediction.shape) and target \(target.shape) differ in size")
        let result = output(.scalar)
        result.unsafeBaseAddress[0] = Self.meanSquaredError(pointer(prediction.index), pointer(target.index), count: prediction.shape.count)
        return record(result, .meanSquaredError(prediction: prediction.index, target: target.index),
                      needsGradient: needsGradient[prediction.index] || needsGradient[target.index])
    }

    func backwardMeanSquaredError(prediction: Int, target: Int, gradient g: UnsafePointer<Scalar>) {
        Self.meanSquaredErrorBackward(pointer(prediction), pointer(target), count: values[prediction].count, gradient: g[0],
                                      prediction: gradientTarget(prediction), target: gradientTarget(target))
    }

    /// mean((p − t)²) over `count` entries, summed in order.
    static func meanSquaredError(_ p: UnsafePointer<Scalar>, _ t: UnsafePointer<Scalar>, count n: Int) -> Scalar {
        var total: Scalar = 0
        for i in 0..<n {
            let d = p[i] - t[i]
            total += d * d
        }
        return total / Scalar(max(n, 1))
    }

    /// The gradients of `g · mean((p − t)²)` with respect to p and t.
    static func meanSquaredErrorBackward(_ p: UnsafePointer<Scalar>, _ t: UnsafePointer<Scalar>, count n: Int, gradient g: Scalar,
                                         prediction dp: GradientTarget?, target dt: GradientTarget?) {
        let scale = 2 * g / Scalar(max(n, 1))
        func propagate(to target: GradientTarget?, sign: Scalar) {
            guard let (dx, accumulate) = target else { return }
            let s = sign * scale
            if accumulate { for i in 0..<n { dx[i] += s * (p[i] - t[i]) } } else { for i in 0..<n { dx[i] = s * (p[i] - t[i]) } }
        }
        propagate(to: dp, sign: 1)
        propagate(to: dt, sign: -1)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func crossEntropy(_ logits: Variable<Scalar>, labels: UnsafeBufferPointer<Int32>) -> Variable<Scalar> {
        let shape = logits.shape
        precondition(shape.rank == 2, "crossEntropy needs logits [N, C], got \(shape)")
        let (rows, classes) = (shape[0], shape[1])
        precondition(labels.count == rows, "crossEntropy: \(labels.count) labels for \(rows) rows")
        let slot = storeLabels(labels, classes: classes)
        let probabilities = output(shape)
        let loss = indexBuffers[slot].withUnsafeBufferPointer { stored in
            Kernels.crossEntropy(logits: pointer(logits.index), labels: stored.baseAddress!, rows: rows, classes: classes,
                                 probabilities: probabilities.unsafeBaseAddress)
        }
        let result = output(.scalar)
        result.unsafeBaseAddress[0] = loss
        return record(result, .crossEntropy(logits: logits.index, labels: slot, probabilities: save(probabilities)),
                      needsGradient: needsGradient[logits.index])
    }

    /// Copies class labels into a tape index buffer (kept for the backward pass); returns its slot.
    func storeLabels(_ labels: UnsafeBufferPointer<Int32>, classes: Int) -> Int {
        let slot = indexBuffer(count: labels.count)
        indexBuffers[slot].withUnsafeMutableBufferPointer { stored in
            for i in 0..<labels.count {
                precondition(labels[i] >= 0 && Int(labels[i]) < classes, "label \(labels[i]) out of range 0..<\(classes)")
                stored[i] = labels[i]
            }
        }
        return slot
    }

    func backwardCrossEntropy(logits: Int, labels: Int, probabilities: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(logits) else { return }
        let shape = values[logits].shape
        indexBuffers[labels].withUnsafeBufferPointer { stored in
            Kernels.crossEntropyBackward(probabilities: auxiliaryPointer(probabilities), labels: stored.baseAddress!,
                                         rows: shape[0], classes: shape[1], gradientOutput: g[0], gradientInput: dx,
                                         accumulate: accumulate)
        }
    }
}

extension Variable {
    /// Mean squared error against a target of the same size: mean((self − target)²).
    public func meanSquaredError(to target: Variable) -> Variable { tape.meanSquaredError(self, target) }

    /// Mean cross-entropy of these logits `[N, C]` against integer class labels.
    public func crossEntropy(labels: UnsafeBufferPointer<Int32>) -> Variable { tape.crossEntropy(self, labels: labels) }

    /// Mean cross-entropy of these logits `[N, C]` against integer class labels.
    public func crossEntropy(labels: [Int32]) -> Variable {
        labels.withUnsafeBufferPointer { tape.crossEntropy(self, labels: $0) }
    }
}
