import NoetherTensor

/// A ridge-regression classifier on a frozen representation, fitted in closed form:
/// W = (XᵀX + λI)⁻¹ XᵀY on centred features and one-hot targets, with
/// λ = `regularization` · tr(XᵀX)/p.
public struct LinearProbe: Sendable {
    public let weights: Tensor<Double>
    public let mean: Tensor<Double>
    public let classes: Int

    public init(features: Tensor<Double>, labels: [Int], classes: Int, regularization: Double = 1e-3) throws(RepresentationError) {
        let x = try validated(features, name: "the probe features", rows: labels.count)
        try self.init(CentredGram(x), labels: labels, classes: classes, regularization: regularization)
    }

    /// From centred features and their Gram matrix.
    init(_ x: CentredGram, labels: [Int], classes: Int, regularization: Double = 1e-3) throws(RepresentationError) {
        guard x.centred.shape[0] == labels.count else {
            throw RepresentationError("the probe features have \(x.centred.shape[0]) samples but there are \(labels.count) labels")
        }
        guard classes >= 2 else { throw RepresentationError("a linear probe needs at least two classes") }
        if let bad = labels.first(where: { $0 < 0 || $0 >= classes }) { throw RepresentationError("label \(bad) is outside 0..<\(classes)") }
        mean = x.mean
        let centred = x.centred
        var targets = Tensor<Double>.zeros([labels.count, classes])
        targets.withUnsafeMutableBufferPointer { t in for (i, label) in labels.enumerated() { t[i * classes + label] = 1 } }
        // Primal (p × p) or dual (N × N) normal equations, whichever is smaller:
        // (XᵀX + λI)⁻¹Xᵀ = Xᵀ(XXᵀ + λI)⁻¹.
        let features = centred.shape[1]
        let dual = x.ofRows
        var gram = x.gram
        let size = gram.shape[0]
        let lambda = regularization * max(gram.trace / Double(features), 1e-12)
        gram.withUnsafeMutableBufferPointer { g in for i in 0..<size { g[i * size + i] += lambda } }
        do {
            let inverse = try gram.pseudoInverse()
            weights = dual
                ? centred.matmul(inverse.matmul(targets), transposeSelf: true)
                : inverse.matmul(centred.matmul(targets, transposeSelf: true))
        } catch {
            throw RepresentationError("the probe could not be fitted: \(error.description)")
        }
        self.classes = classes
    }

    /// Predicted classes.
    public func predict(_ features: Tensor<Double>) -> [Int] {
        (features - mean).matmul(weights).argmaxAlongLastAxis()
    }

    /// The fraction of `labels` predicted correctly.
    public func accuracy(_ features: Tensor<Double>, labels: [Int]) -> Double {
        let predictions = predict(features)
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(max(labels.count, 1))
    }
}
