import NoetherTensor

// Operations on a seed stack: the same small model trained from several seeds at once, every
// tensor carrying the seeds along its first axis. Each seed's slice goes through exactly the
// kernels, shapes and order of a single run, so every seed's numbers are bit for bit those
// of that seed trained alone; what the stack saves is the per-operation work of the tape,
// paid once for all seeds.
extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func seedLinear(_ x: Variable<Scalar>, weight: Variable<Scalar>, bias: Variable<Scalar>?) -> Variable<Scalar> {
        let (xShape, wShape) = (x.shape, weight.shape)
        precondition(wShape.rank == 3 && xShape.rank >= 2 && xShape[0] == wShape[0] && xShape.last == wShape[2],
                     "seedLinear: input \(xShape) does not match weight \(wShape) ([seeds, out, in])")
        let (seeds, outFeatures, inFeatures) = (wShape[0], wShape[1], wShape[2])
        if let bias {
            precondition(bias.shape == [seeds, outFeatures], "seedLinear: bias \(bias.shape) is not [\(seeds), \(outFeatures)]")
        }
        var outShape = xShape
        outShape[xShape.rank - 1] = outFeatures
        let result = output(outShape)
        let geometry = LinearGeometry(rows: xShape.count / max(seeds * inFeatures, 1), inFeatures: inFeatures, outFeatures: outFeatures)
        let (px, pw, out) = (pointer(x.index), pointer(weight.index), result.unsafeBaseAddress)
        let pb = bias.map { UnsafePointer(pointer($0.index)) }
        for seed in 0..<seeds {
            linearForward(geometry, x: px + seed * geometry.rows * inFeatures, weight: pw + seed * outFeatures * inFeatures,
                          bias: pb.map { $0 + seed * outFeatures }, into: out + seed * geometry.rows * outFeatures)
        }
        let needs = needsGradient[x.index] || needsGradient[weight.index] || (bias.map { needsGradient[$0.index] } ?? false)
        return record(result, .seedLinear(input: x.index, weight: weight.index, bias: bias?.index, seeds: seeds), needsGradient: needs)
    }

    func backwardSeedLinear(input x: Int, weight w: Int, bias b: Int?, seeds: Int, gradient g: UnsafePointer<Scalar>) {
        let (outFeatures, inFeatures) = (values[w].shape[1], values[w].shape[2])
        let geometry = LinearGeometry(rows: values[x].count / max(seeds * inFeatures, 1), inFeatures: inFeatures, outFeatures: outFeatures)
        let (db, dw, dx) = (b.flatMap(gradientTarget), gradientTarget(w), gradientTarget(x))
        let (px, pw) = (pointer(x), pointer(w))
        func offset(_ target: GradientTarget?, by count: Int) -> GradientTarget? { target.map { ($0.pointer + count, $0.accumulate) } }
        for seed in 0..<seeds {
            let (inputs, weights, outputs) = (seed * geometry.rows * inFeatures, seed * outFeatures * inFeatures, seed * geometry.rows * outFeatures)
            linearBackward(geometry, gradient: g + outputs, x: px + inputs, weight: pw + weights, bias: offset(db, by: seed * outFeatures),
                           weightGradient: offset(dw, by: weights), inputGradient: offset(dx, by: inputs))
        }
    }

    /// Each seed's mean squared error over its slice: a vector `[seeds]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func seedMeanSquaredError(_ prediction: Variable<Scalar>, _ target: Variable<Scalar>, seeds: Int) -> Variable<Scalar> {
        let count = prediction.shape.count
        precondition(seeds > 0 && count == target.shape.count && count % seeds == 0,
                     "seedMeanSquaredError: prediction \(prediction.shape) and target \(target.shape) for \(seeds) seeds")
        let per = count / seeds
        let result = output([seeds])
        let (p, t) = (pointer(prediction.index), pointer(target.index))
        for seed in 0..<seeds { result.unsafeBaseAddress[seed] = Self.meanSquaredError(p + seed * per, t + seed * per, count: per) }
        return record(result, .seedMeanSquaredError(prediction: prediction.index, target: target.index, seeds: seeds),
                      needsGradient: needsGradient[prediction.index] || needsGradient[target.index])
    }

    func backwardSeedMeanSquaredError(prediction: Int, target: Int, seeds: Int, gradient g: UnsafePointer<Scalar>) {
        let per = values[prediction].count / seeds
        let (p, t) = (pointer(prediction), pointer(target))
        let (dp, dt) = (gradientTarget(prediction), gradientTarget(target))
        for seed in 0..<seeds {
            let at = seed * per
            Self.meanSquaredErrorBackward(p + at, t + at, count: per, gradient: g[seed],
                                          prediction: dp.map { ($0.pointer + at, $0.accumulate) }, target: dt.map { ($0.pointer + at, $0.accumulate) })
        }
    }

    /// Each seed's mean cross-entropy of its logits `[seeds, N, C]` against its labels (`seeds · N`
    /// of them, seed after seed): a vector `[seeds]`.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func seedCrossEntropy(_ logits: Variable<Scalar>, labels: UnsafeBufferPointer<Int32>) -> Variable<Scalar> {
        let shape = logits.shape
        precondition(shape.rank == 3, "seedCrossEntropy needs logits [seeds, N, C], got \(shape)")
        let (seeds, rows, classes) = (shape[0], shape[1], shape[2])
        precondition(labels.count == seeds * rows, "seedCrossEntropy: \(labels.count) labels for \(seeds) × \(rows) rows")
        let slot = storeLabels(labels, classes: classes)
        let probabilities = output(shape)
        let result = output([seeds])
        let (p, q, per) = (pointer(logits.index), probabilities.unsafeBaseAddress, rows * classes)
        indexBuffers[slot].withUnsafeBufferPointer { stored in
            for seed in 0..<seeds {
                result.unsafeBaseAddress[seed] = Kernels.crossEntropy(logits: p + seed * per, labels: stored.baseAddress! + seed * rows,
                                                                      rows: rows, classes: classes, probabilities: q + seed * per)
            }
        }
        return record(result, .seedCrossEntropy(logits: logits.index, labels: slot, probabilities: save(probabilities)),
                      needsGradient: needsGradient[logits.index])
    }

    func backwardSeedCrossEntropy(logits: Int, labels: Int, probabilities: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(logits) else { return }
        let shape = values[logits].shape
        let (seeds, rows, classes) = (shape[0], shape[1], shape[2])
        let q = auxiliaryPointer(probabilities)
        indexBuffers[labels].withUnsafeBufferPointer { stored in
            for seed in 0..<seeds {
                Kernels.crossEntropyBackward(probabilities: q + seed * rows * classes, labels: stored.baseAddress! + seed * rows,
                                             rows: rows, classes: classes, gradientOutput: g[seed],
                                             gradientInput: dx + seed * rows * classes, accumulate: accumulate)
            }
        }
    }
}

extension Variable {
    /// A fully connected layer per seed: `self[s] · weight[s]ᵀ + bias[s]` for inputs
    /// `[seeds, …, in]`, weights `[seeds, out, in]` and biases `[seeds, out]`.
    @_specialize(where Scalar == Float)
    public func seedLinear(weight: Variable, bias: Variable? = nil) -> Variable {
        tape.seedLinear(self, weight: weight, bias: bias)
    }

    /// Each seed's mean squared error against a target of the same shape: a vector `[seeds]`.
    public func seedMeanSquaredError(to target: Variable, seeds: Int) -> Variable { tape.seedMeanSquaredError(self, target, seeds: seeds) }

    /// Each seed's mean cross-entropy of logits `[seeds, N, C]` against `seeds · N` labels: a vector `[seeds]`.
    public func seedCrossEntropy(labels: [Int32]) -> Variable {
        labels.withUnsafeBufferPointer { tape.seedCrossEntropy(self, labels: $0) }
    }
}
