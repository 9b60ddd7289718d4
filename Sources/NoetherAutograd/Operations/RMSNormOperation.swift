import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func rmsNorm(_ x: Variable<Scalar>, gain: Variable<Scalar>?, epsilon: Scalar) -> Variable<Scalar> {
        let shape = x.shape
        let columns = shape.last
        precondition(gain.map { $0.shape.count == columns } ?? true, "rmsNorm: gain does not match \(columns) features")
        let rows = columns == 0 ? 0 : shape.count / columns
        let result = output(shape)
        let statistics = output([rows])
        let (input, out, reciprocal) = (pointer(x.index), result.unsafeBaseAddress, statistics.unsafeBaseAddress)
        let g = gain.map { pointer($0.index) }
        let n = Scalar(columns)
        // Each thread normalises whole rows, so the bits do not depend on the split.
        Parallel.forEachRange(rows, work: rows * columns * 4) { rowRange in
            for r in rowRange {
                let (row, y) = (input + r * columns, out + r * columns)
                // On eight accumulators (`laneSum`), so the reduction vectorises.
                let squares = Kernels.laneSum(columns) { row[$0] * row[$0] }
                let inverse = 1 / (squares / n + epsilon).squareRoot()
                reciprocal[r] = inverse
                if let g {
                    for j in 0..<columns { y[j] = row[j] * inverse * g[j] }
                } else {
                    for j in 0..<columns { y[j] = row[j] * inverse }
                }
            }
        }
        let needs = needsGradient[x.index] || (gain.map { needsGradient[$0.index] } ?? false)
        return record(result, .rmsNorm(input: x.index, gain: gain?.index, statistics: save(statistics)), needsGradient: needs)
    }

    /// With x̂ = x·r and r = 1/√(mean(x²) + ε): ∂g = Σ_rows gy ⊙ x̂, and
    /// ∂x = r·(gy⊙g − x̂·mean(gy⊙g⊙x̂)) (the second term is the derivative through r).
    func backwardRMSNorm(input x: Int, gain: Int?, statistics: Int, gradient gy: UnsafePointer<Scalar>) {
        let columns = values[x].shape.last
        let rows = columns == 0 ? 0 : values[x].count / columns
        let (input, reciprocal) = (pointer(x), auxiliaryPointer(statistics))
        let g = gain.map { pointer($0) }
        if let gain, let (dg, accumulate) = gradientTarget(gain) {
            if !accumulate { dg.update(repeating: 0, count: columns) }
            // Each thread owns whole columns and adds their rows in order.
            Parallel.forEachRange(columns, work: rows * columns * 2) { columnRange in
                for r in 0..<rows {
                    let (row, upstream, inverse) = (input + r * columns, gy + r * columns, reciprocal[r])
                    for j in columnRange { dg[j] += upstream[j] * row[j] * inverse }
                }
            }
        }
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let n = Scalar(columns)
        // Each thread owns whole rows.
        Parallel.forEachRange(rows, work: rows * columns * 4) { rowRange in
            for r in rowRange {
                let (row, upstream, target, inverse) = (input + r * columns, gy + r * columns, dx + r * columns, reciprocal[r])
                let projection = g.map { g in Kernels.laneSum(columns) { upstream[$0] * g[$0] * row[$0] } }
                    ?? Kernels.laneSum(columns) { upstream[$0] * row[$0] }
                let correction = projection * inverse / n
                for j in 0..<columns {
                    let value = inverse * (upstream[j] * (g?[j] ?? 1) - row[j] * inverse * correction)
                    if accumulate { target[j] += value } else { target[j] = value }
                }
            }
        }
    }
}

extension Variable {
    /// Root-mean-square normalisation over the last axis (PyTorch's `nn.RMSNorm`, LLaMA's
    /// `LlamaRMSNorm`): y = x / √(mean(x²) + ε) ⊙ gain. Unlike layer normalisation it does not
    /// subtract the mean, so it commutes with orthogonal maps of the features when `gain` is
    /// uniform (the residual-stream rotation of DESIGN.md §3).
    ///
    /// - Parameters:
    ///   - gain: the per-feature gain (the `weight` of the PyTorch module), or nil for none.
    ///   - epsilon: added to the mean square (PyTorch's `eps`; LLaMA uses 1e-6 or 1e-5).
    public func rmsNorm(gain: Variable?, epsilon: Scalar = 1e-6) -> Variable {
        tape.rmsNorm(self, gain: gain, epsilon: epsilon)
    }
}
