import NoetherTensor

/// The built-in synthetic tasks of DESIGN.md §6. Each is a pure function of its settings and a
/// generator, so a seed fixes the data.
public enum SyntheticTasks {
    /// Uniform x ∈ {±1}^d and y = Σ_S ∏_{i∈S} xᵢ over the given monomials (a leap function;
    /// the staircase is monomials {0}, {0,1}, …, {0,…,k−1}).
    public static func leap(count: Int, dimension: Int, monomials: [[Int]], using generator: inout RandomGenerator) -> Dataset {
        var inputs = Tensor<Float>(uninitializedShape: [count, dimension])
        var targets = Tensor<Float>(uninitializedShape: [count, 1])
        inputs.withUnsafeMutableBufferPointer { x in
            for i in 0..<(count * dimension) { x[i] = generator.next() & 1 == 0 ? -1 : 1 }
            targets.withUnsafeMutableBufferPointer { y in
                for n in 0..<count {
                    var total: Float = 0
                    for monomial in monomials {
                        var product: Float = 1
                        for coordinate in monomial { product *= x[n * dimension + coordinate] }
                        total += product
                    }
                    y[n] = total
                }
            }
        }
        let relevant = Array(Set(monomials.flatMap { $0 })).sorted()
        return Dataset(name: "leap", inputs: inputs, targets: .values(targets), relevantCoordinates: relevant)
    }

    /// The staircase monomials of degree k: {0}, {0,1}, …, {0,…,k−1}.
    public static func staircaseMonomials(degree: Int) -> [[Int]] {
        (1...max(degree, 1)).map { Array(0..<$0) }
    }

    /// Gaussian inputs x ~ N(0, I_d) labelled by a random two-layer teacher
    /// y = Σⱼ aⱼ σ(wⱼ·x) (wⱼ ~ N(0, I/d), aⱼ ~ N(0, 1/k)), plus optional label noise. A teacher
    /// of `depth` > 1 applies depth − 1 further k × k layers σ(V h) (V ~ N(0, 2/k)) before a.
    public static func teacherStudent(count: Int, dimension: Int, width: Int, depth: Int = 1, outputs: Int, activation: UnaryFunction,
                                      labelNoise: Double, teacher: RandomGenerator, using generator: inout RandomGenerator) -> Dataset {
        var teacherStream = teacher
        let w = Tensor<Float>.normal([width, dimension], standardDeviation: 1 / Double(dimension).squareRoot(), using: &teacherStream)
        let a = Tensor<Float>.normal([outputs, width], standardDeviation: 1 / Double(width).squareRoot(), using: &teacherStream)
        // Deeper teachers draw their further layers after `a`, so depth 1 keeps its draws.
        let further = (1..<max(depth, 1)).map { _ in
            Tensor<Float>.normal([width, width], standardDeviation: (2 / Double(width)).squareRoot(), using: &teacherStream)
        }
        let x = Tensor<Float>.normal([count, dimension], using: &generator)
        var h = x.matmul(w, transposeOther: true).map(activation)
        for layer in further { h = h.matmul(layer, transposeOther: true).map(activation) }
        var y = h.matmul(a, transposeOther: true)
        if labelNoise > 0 { y += Tensor.normal(y.shape, standardDeviation: labelNoise, using: &generator) }
        return Dataset(name: "teacher_student", inputs: x, targets: .values(y))
    }

    /// A random matrix with orthonormal columns, `[rows, columns]` (rows ≥ columns).
    static func orthonormalColumns(rows: Int, columns: Int, using generator: inout RandomGenerator) -> Tensor<Double> {
        let gaussian = Tensor<Double>.normal([rows, columns], using: &generator)
        // The left singular vectors of a Gaussian matrix are Haar-distributed.
        return (try? gaussian.svd().u) ?? Tensor.identity(rows).slice(alongAxis: 1, 0..<columns)
    }

    /// The matrix A = U diag(s) Vᵀ with random orthonormal U, V: the teacher of the low-rank task.
    public static func lowRankMatrix(outputs: Int, dimension: Int, singularValues: [Double], using generator: inout RandomGenerator) -> Tensor<Double> {
        let r = singularValues.count
        let u = orthonormalColumns(rows: outputs, columns: r, using: &generator)
        let v = orthonormalColumns(rows: dimension, columns: r, using: &generator)
        return (u * Tensor(shape: [1, r], scalars: singularValues)).matmul(v, transposeOther: true)
    }

    /// Low-rank linear regression: x ~ N(0, I_d), y = A x (+ noise) for a fixed A of rank
    /// `singularValues.count` (the deep-linear-network task).
    public static func lowRank(count: Int, matrix a: Tensor<Double>, labelNoise: Double, using generator: inout RandomGenerator) -> Dataset {
        let x = Tensor<Double>.normal([count, a.shape[1]], using: &generator)
        var y = x.matmul(a, transposeOther: true)
        if labelNoise > 0 { y += Tensor.normal(y.shape, standardDeviation: labelNoise, using: &generator) }
        return Dataset(name: "low_rank", inputs: Tensor<Float>(x), targets: .values(Tensor<Float>(y)))
    }

    /// Class means μ_c: Gaussian directions scaled to norm `separation`.
    public static func mixtureMeans(classes: Int, dimension: Int, separation: Double, using generator: inout RandomGenerator) -> Tensor<Double> {
        var means = Tensor<Double>.normal([classes, dimension], using: &generator)
        means.withUnsafeMutableBufferPointer { m in
            for c in 0..<classes {
                var norm = 0.0
                for j in 0..<dimension { norm += m[c * dimension + j] * m[c * dimension + j] }
                let factor = separation / max(norm.squareRoot(), 1e-12)
                for j in 0..<dimension { m[c * dimension + j] *= factor }
            }
        }
        return means
    }

    /// Gaussian-mixture classification: a uniform class c, then x = μ_c + N(0, I).
    public static func gaussianMixture(count: Int, means: Tensor<Double>, using generator: inout RandomGenerator) -> Dataset {
        let (classes, dimension) = (means.shape[0], means.shape[1])
        let labels = (0..<count).map { _ in Int32(generator.index(below: classes)) }
        var x = Tensor<Float>.normal([count, dimension], using: &generator)
        x.withUnsafeMutableBufferPointer { p in
            means.withUnsafeBufferPointer { m in
                for n in 0..<count {
                    let c = Int(labels[n])
                    for j in 0..<dimension { p[n * dimension + j] += Float(m[c * dimension + j]) }
                }
            }
        }
        return Dataset(name: "gaussian_mixture", inputs: x, targets: .classes(labels, classes: classes))
    }

    /// A single attention head with a low-rank query–key form as teacher: tokens x_i ~ N(0, I_d),
    /// scores x_iᵀ A x_j / √d with A = U Vᵀ of rank r, z_i = Σ_j softmax_j(scores) x_j, and
    /// y = W · mean_i z_i. A student transformer learns A through W_Q W_Kᵀ.
    public struct AttentionTeacher: Sendable {
        public let form: Tensor<Float>
        public let readout: Tensor<Float>

        /// With `singularValues`, A = U diag(s) Vᵀ with random orthonormal U, V (a spectrum of
        /// the experimenter's choosing, e.g. decaying); else A = U Vᵀ with Gaussian U, V of rank r.
        public init(dimension d: Int, rank r: Int, outputs: Int, singularValues: [Double]? = nil, using generator: inout RandomGenerator) {
            if let singularValues {
                form = Tensor<Float>(SyntheticTasks.lowRankMatrix(outputs: d, dimension: d, singularValues: singularValues, using: &generator))
            } else {
                let u = Tensor<Float>.normal([d, r], using: &generator)
                let v = Tensor<Float>.normal([d, r], using: &generator)
                form = u.matmul(v, transposeOther: true)
            }
            readout = Tensor<Float>.normal([outputs, d], standardDeviation: 1 / Double(d).squareRoot(), using: &generator)
        }

        public func dataset(count: Int, sequenceLength s: Int, labelNoise: Double, using generator: inout RandomGenerator) -> Dataset {
            let d = form.shape[0]
            let tokens = Tensor<Float>.normal([count, s, d], using: &generator)
            let scores = tokens.matmul(form).matmul(tokens, transposeOther: true) * Float(1 / Double(d).squareRoot())
            let mixed = scores.softmax().matmul(tokens)                               // [count, s, d]
            var y = mixed.mean(alongAxis: 1).matmul(readout, transposeOther: true)    // [count, outputs]
            if labelNoise > 0 { y += Tensor.normal(y.shape, standardDeviation: labelNoise, using: &generator) }
            return Dataset(name: "attention_teacher", inputs: tokens.reshaped([count, s * d]), targets: .values(y))
        }
    }
}
