import RealModule

extension Kernels {
    /// Row-wise softmax (or log-softmax) over `rows × columns`, stable for any magnitude.
    @inlinable
    public static func softmax<T: TensorScalar>(
        _ x: UnsafePointer<T>, rows: Int, columns: Int, _ out: UnsafeMutablePointer<T>, logarithm: Bool
    ) {
        Parallel.forEachRange(rows, work: rows * columns * 16) { rowRange in
            for r in rowRange {
                let input = x + r * columns
                let output = out + r * columns
                var largest = -T.infinity
                for j in 0..<columns { largest = Swift.max(largest, input[j]) }
                if !largest.isFinite { largest = 0 }
                var total: T = 0
                for j in 0..<columns {
                    let e = T.exp(input[j] - largest)
                    output[j] = e
                    total += e
                }
                if logarithm {
                    let logTotal = T.log(total) + largest
                    for j in 0..<columns { output[j] = input[j] - logTotal }
                } else {
                    let inverse = 1 / total
                    for j in 0..<columns { output[j] *= inverse }
                }
            }
        }
    }

    /// Gradient of softmax given its output y: gx = y ∘ (gy − ⟨gy, y⟩); of log-softmax:
    /// gx = gy − exp(y) · Σgy.
    @inlinable
    public static func softmaxBackward<T: TensorScalar>(
        output y: UnsafePointer<T>, gradientOutput gy: UnsafePointer<T>, rows: Int, columns: Int,
        gradientInput gx: UnsafeMutablePointer<T>, logarithm: Bool, accumulate: Bool
    ) {
        Parallel.forEachRange(rows, work: rows * columns * 4) { rowRange in
            for r in rowRange {
                let (yr, gyr, gxr) = (y + r * columns, gy + r * columns, gx + r * columns)
                if logarithm {
                    var total: T = 0
                    for j in 0..<columns { total += gyr[j] }
                    for j in 0..<columns {
                        let value = gyr[j] - T.exp(yr[j]) * total
                        if accumulate { gxr[j] += value } else { gxr[j] = value }
                    }
                } else {
                    var inner: T = 0
                    for j in 0..<columns { inner += gyr[j] * yr[j] }
                    for j in 0..<columns {
                        let value = yr[j] * (gyr[j] - inner)
                        if accumulate { gxr[j] += value } else { gxr[j] = value }
                    }
                }
            }
        }
    }

    /// Layer normalisation over rows: y = (x − μ)/σ · γ + β with σ = √(var + ε).
    /// Saves the per-row mean and reciprocal σ for the backward pass.
    @inlinable
    public static func layerNorm<T: TensorScalar>(
        _ x: UnsafePointer<T>, gamma: UnsafePointer<T>?, beta: UnsafePointer<T>?, rows: Int, columns: Int, epsilon: T,
        _ out: UnsafeMutablePointer<T>, mean: UnsafeMutablePointer<T>, reciprocalDeviation: UnsafeMutablePointer<T>
    ) {
        let n = T(columns)
        // Rows are independent: each thread normalises whole rows, so the bits do not depend on the split.
        Parallel.forEachRange(rows, work: rows * columns * 4) { rowRange in
            for r in rowRange {
                let (input, output) = (x + r * columns, out + r * columns)
                // Sums on eight accumulators (`laneSum`), so the reductions vectorise.
                let mu = laneSum(columns) { input[$0] } / n
                let squares = laneSum(columns) { (input[$0] - mu) * (input[$0] - mu) }
                let rstd = 1 / (squares / n + epsilon).squareRoot()
                mean[r] = mu
                reciprocalDeviation[r] = rstd
                for j in 0..<columns {
                    var value = (input[j] - mu) * rstd
                    if let gamma { value *= gamma[j] }
                    if let beta { value += beta[j] }
                    output[j] = value
                }
            }
        }
    }

    /// Gradients of layer normalisation.
    @inlinable
    public static func layerNormBackward<T: TensorScalar>(
        _ x: UnsafePointer<T>, gamma: UnsafePointer<T>?, mean: UnsafePointer<T>, reciprocalDeviation: UnsafePointer<T>,
        gradientOutput gy: UnsafePointer<T>, rows: Int, columns: Int,
        gradientInput: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?,
        gradientGamma: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?,
        gradientBeta: (pointer: UnsafeMutablePointer<T>, accumulate: Bool)?
    ) {
        if let (dg, accumulate) = gradientGamma, !accumulate { dg.update(repeating: 0, count: columns) }
        if let (db, accumulate) = gradientBeta, !accumulate { db.update(repeating: 0, count: columns) }
        let n = T(columns)
        // γ and β sum over rows: each thread owns whole columns and adds their rows in order.
        if gradientGamma != nil || gradientBeta != nil {
            Parallel.forEachRange(columns, work: rows * columns * 2) { columnRange in
                for r in 0..<rows {
                    let (input, g) = (x + r * columns, gy + r * columns)
                    let (mu, rstd) = (mean[r], reciprocalDeviation[r])
                    if let (dg, _) = gradientGamma {
                        for j in columnRange { dg[j] += g[j] * ((input[j] - mu) * rstd) }
                    }
                    if let (db, _) = gradientBeta {
                        for j in columnRange { db[j] += g[j] }
                    }
                }
            }
        }
        guard let (dx, accumulate) = gradientInput else { return }
        // The input's gradient is per row: each thread owns whole rows.
        Parallel.forEachRange(rows, work: rows * columns * 4) { rowRange in
            for r in rowRange {
                let (input, g) = (x + r * columns, gy + r * columns)
                let (mu, rstd) = (mean[r], reciprocalDeviation[r])
                let row = dx + r * columns
                // γ is hoisted out of the loops and the sums run on eight accumulators, so they vectorise.
                let (sumG, sumGX): (T, T)
                if let gamma {
                    sumG = laneSum(columns) { g[$0] * gamma[$0] }
                    sumGX = laneSum(columns) { g[$0] * gamma[$0] * ((input[$0] - mu) * rstd) }
                } else {
                    sumG = laneSum(columns) { g[$0] }
                    sumGX = laneSum(columns) { g[$0] * ((input[$0] - mu) * rstd) }
                }
                let (meanG, meanGX) = (sumG / n, sumGX / n)
                for j in 0..<columns {
                    let xhat = (input[j] - mu) * rstd
                    let gh = g[j] * (gamma?[j] ?? 1)
                    let value = rstd * (gh - meanG - xhat * meanGX)
                    if accumulate { row[j] += value } else { row[j] = value }
                }
            }
        }
    }

    /// Mean cross-entropy of `logits` (rows × classes) against integer labels; writes the
    /// softmax probabilities to `probabilities` for the backward pass.
    @inlinable
    public static func crossEntropy<T: TensorScalar>(
        logits: UnsafePointer<T>, labels: UnsafePointer<Int32>, rows: Int, classes: Int,
        probabilities: UnsafeMutablePointer<T>
    ) -> T {
        softmax(logits, rows: rows, columns: classes, probabilities, logarithm: true)
        var total: T = 0
        for r in 0..<rows {
            let row = probabilities + r * classes
            total -= row[Int(labels[r])]
            for j in 0..<classes { row[j] = T.exp(row[j]) }
        }
        return total / T(Swift.max(rows, 1))
    }

    /// Gradient of mean cross-entropy: (p − onehot(label)) · g / rows.
    @inlinable
    public static func crossEntropyBackward<T: TensorScalar>(
        probabilities p: UnsafePointer<T>, labels: UnsafePointer<Int32>, rows: Int, classes: Int,
        gradientOutput g: T, gradientInput gx: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let scale = g / T(Swift.max(rows, 1))
        for r in 0..<rows {
            let (pr, gr) = (p + r * classes, gx + r * classes)
            let label = Int(labels[r])
            for j in 0..<classes {
                let value = (pr[j] - (j == label ? 1 : 0)) * scale
                if accumulate { gr[j] += value } else { gr[j] = value }
            }
        }
    }
}

extension Tensor {
    /// Softmax along the last axis.
    @inlinable
    public func softmax() -> Tensor { softmaxLike(logarithm: false) }

    /// Log-softmax along the last axis.
    @inlinable
    public func logSoftmax() -> Tensor { softmaxLike(logarithm: true) }

    @usableFromInline
    func softmaxLike(logarithm: Bool) -> Tensor {
        let columns = shape.last
        let result = Tensor(uninitializedShape: shape)
        let out = result.storage.base
        withUnsafeBufferPointer {
            Kernels.softmax($0.baseAddress!, rows: columns == 0 ? 0 : count / columns, columns: columns, out, logarithm: logarithm)
        }
        return result
    }
}
