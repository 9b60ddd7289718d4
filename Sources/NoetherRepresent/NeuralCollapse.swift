import NoetherTensor

/// Neural collapse (Papyan, Han, Donoho 2020) of penultimate features, exactly as DESIGN.md §4
/// defines it. All quantities are 0 at a perfect simplex-ETF collapse.
public struct NeuralCollapse: Hashable, Sendable, Codable {
    /// Tr(Σ_W Σ_B⁺)/C: within-class variability relative to between-class (pseudo-inverse in
    /// Float64, cut at 1e-10·σ_max).
    public let nc1: Double
    /// std_c ‖μ_c − μ_G‖ / mean_c ‖μ_c − μ_G‖ (population std).
    public let nc2Equinorm: Double
    /// std over pairs c < c' of cos(μ_c − μ_G, μ_c' − μ_G).
    public let nc2Equiangular: Double
    /// mean over pairs c < c' of |cos + 1/(C−1)|.
    public let nc2MaxAngle: Double
    /// The same three for the classifier rows w_c (when a classifier is given).
    public let nc2ClassifierEquinorm: Double?
    public let nc2ClassifierEquiangular: Double?
    public let nc2ClassifierMaxAngle: Double?
    /// ‖Wᵀ/‖W‖_F − M̃/‖M̃‖_F‖²_F, M̃ the centred class means as columns.
    public let nc3: Double?
    /// The fraction of samples where the classifier and the nearest class centre disagree.
    public let nc4: Double?
    /// Class-distance normalised variance: mean over pairs of (V_c + V_c')/(2‖μ_c − μ_c'‖²),
    /// V_c = mean ‖h − μ_c‖² (Galanti et al. 2022).
    public let cdnv: Double
    public let classes: Int
    public let samples: Int

    enum CodingKeys: String, CodingKey {
        case nc1, nc2Equinorm = "nc2_equinorm", nc2Equiangular = "nc2_equiangular", nc2MaxAngle = "nc2_maxangle"
        case nc2ClassifierEquinorm = "nc2_classifier_equinorm", nc2ClassifierEquiangular = "nc2_classifier_equiangular"
        case nc2ClassifierMaxAngle = "nc2_classifier_maxangle", nc3, nc4, cdnv, classes, samples
    }

    /// Measures features `[N, p]` with integer labels and, optionally, a classifier `W [C, p]`
    /// with bias `[C]`.
    ///
    /// Degenerate inputs: fewer than two classes present, NaN, or class means that coincide
    /// with the global mean are errors; a class with one sample contributes no within-class
    /// variance (its V_c is 0).
    public init(features: Tensor<Double>, labels: [Int], classifier: Tensor<Double>? = nil, bias: Tensor<Double>? = nil) throws(RepresentationError) {
        let h = try validated(features, name: "the features", rows: labels.count)
        let (n, p) = (h.shape[0], h.shape[1])
        guard let maxLabel = labels.max(), let minLabel = labels.min(), minLabel >= 0, maxLabel <= Int(Int32.max) else {
            throw RepresentationError("labels must be class indices from 0 to 2³¹ − 1, got \(labels.min() ?? 0) to \(labels.max() ?? 0)")
        }
        let present = Array(Set(labels)).sorted()
        guard present.count >= 2 else {
            throw RepresentationError("neural collapse needs at least two classes; the labels hold only class \(present.first ?? 0)")
        }
        let classCount = maxLabel + 1
        if let classifier {
            guard classifier.rank == 2, classifier.shape[1] == p, classifier.shape[0] >= classCount else {
                throw RepresentationError("the classifier must be [classes, features] = [≥\(classCount), \(p)], got \(classifier.shape)")
            }
            guard classifier.isFinite else { throw RepresentationError("the classifier contains NaN or infinite values") }
            if let bias, bias.count != classifier.shape[0] {
                throw RepresentationError("the bias has \(bias.count) entries for \(classifier.shape[0]) classes")
            }
        }
        // Only the classes that occur define means; C counts them.
        let c = present.count
        let index = Dictionary(uniqueKeysWithValues: present.enumerated().map { ($1, $0) })
        var means = Tensor<Double>.zeros([c, p])
        var counts = [Double](repeating: 0, count: c)
        h.withUnsafeBufferPointer { x in
            means.withUnsafeMutableBufferPointer { m in
                for (i, label) in labels.enumerated() {
                    let k = index[label]!
                    counts[k] += 1
                    for j in 0..<p { m[k * p + j] += x[i * p + j] }
                }
                for k in 0..<c { for j in 0..<p { m[k * p + j] /= counts[k] } }
            }
        }
        let globalMean = h.mean(alongAxis: 0, keepingDimension: true)
        let centredMeans = means - globalMean                                   // M̃ᵀ, [C, p]
        // Within-class scatter Σ_W = (1/N) Σ (h − μ_c)(h − μ_c)ᵀ from the residuals.
        let assigned = means.gatherRows(labels.map { index[$0]! })
        let residuals = h - assigned
        nc1 = try Self.withinOverBetween(residuals: residuals, centredMeans: centredMeans, samples: n)
        let meanNorms = (0..<c).map { centredMeans.slice(alongAxis: 0, $0..<($0 + 1)).norm() }
        guard meanNorms.allSatisfy({ $0 > 0 }) else {
            throw RepresentationError("a class mean equals the global mean (e.g. constant features); NC2 is undefined")
        }
        (nc2Equinorm, nc2Equiangular, nc2MaxAngle) = Self.geometry(centredMeans)
        // Per-class variances for the CDNV.
        var variances = [Double](repeating: 0, count: c)
        residuals.withUnsafeBufferPointer { r in
            for (i, label) in labels.enumerated() {
                var total = 0.0
                for j in 0..<p { total += r[i * p + j] * r[i * p + j] }
                variances[index[label]!] += total
            }
        }
        for k in 0..<c { variances[k] /= counts[k] }
        var cdnvTotal = 0.0, pairs = 0.0
        for a in 0..<c {
            for b in (a + 1)..<c {
                let gap = (means.slice(alongAxis: 0, a..<(a + 1)) - means.slice(alongAxis: 0, b..<(b + 1))).squaredNorm()
                cdnvTotal += (variances[a] + variances[b]) / (2 * max(gap, 1e-300))
                pairs += 1
            }
        }
        cdnv = cdnvTotal / max(pairs, 1)
        if let classifier {
            let rows = classifier.gatherRows(present)
            (nc2ClassifierEquinorm, nc2ClassifierEquiangular, nc2ClassifierMaxAngle) = Self.geometry(rows)
            let normalisedW = rows * (1 / max(rows.norm(), 1e-300))
            let normalisedM = centredMeans * (1 / max(centredMeans.norm(), 1e-300))
            nc3 = (normalisedW - normalisedM).squaredNorm()
            // Classifier decision (over all its classes) against the nearest class centre.
            var logits = h.matmul(classifier, transposeOther: true)
            if let bias { logits = logits + bias.reshaped([1, bias.count]) }
            let decisions = logits.argmaxAlongLastAxis()
            let distances = Self.squaredDistances(h, means)
            let nearest = distances.map(.negate).argmaxAlongLastAxis().map { present[$0] }
            nc4 = Double(zip(decisions, nearest).filter { $0 != $1 }.count) / Double(n)
        } else {
            (nc2ClassifierEquinorm, nc2ClassifierEquiangular, nc2ClassifierMaxAngle, nc3, nc4) = (nil, nil, nil, nil, nil)
        }
        classes = c
        samples = n
        // Values so large that their squares overflow give infinite or NaN metrics: an error.
        let values = [nc1, nc2Equinorm, nc2Equiangular, nc2MaxAngle, cdnv]
            + [nc2ClassifierEquinorm, nc2ClassifierEquiangular, nc2ClassifierMaxAngle, nc3, nc4].compactMap { $0 }
        guard values.allSatisfy(\.isFinite) else {
            throw RepresentationError("the neural-collapse metrics are not finite numbers: the features' values are too large (scale them down)")
        }
    }

    /// NC1 = Tr(Σ_W Σ_B⁺)/C, computed in the C × C class space. With M̃ = U S Vᵀ,
    /// Σ_B⁺ = C·V S⁻² Vᵀ and Σ_W = RᵀR/N, so NC1 = (1/N) Σ_i ‖R M̃ᵀ u_i‖² / λ_i², λ_i = s_i² the
    /// eigenvalues of M̃M̃ᵀ (cut at 1e-10·λ_max, the same cut as Σ_B's pseudo-inverse). No p × p
    /// matrix is formed: for wide features (p in the thousands) that took minutes and gigabytes.
    static func withinOverBetween(residuals: Tensor<Double>, centredMeans: Tensor<Double>, samples: Int) throws(RepresentationError) -> Double {
        let eigen: SymmetricEigendecomposition<Double>
        do { eigen = try centredMeans.gramMatrix(ofRows: true).symmetricEigendecomposition() } catch {
            throw RepresentationError("NC1 could not be computed: \(error.description)")
        }
        let lambdas = eigen.eigenvalues.scalars
        let cutoff = 1e-10 * (lambdas.max() ?? 0)
        let projected = residuals.matmul(centredMeans, transposeOther: true).matmul(eigen.eigenvectors)   // [N, C]
        let c = lambdas.count
        var total = 0.0
        projected.withUnsafeBufferPointer { x in
            for i in 0..<c where lambdas[i] > cutoff {
                var column = 0.0
                for row in 0..<samples { column += x[row * c + i] * x[row * c + i] }
                total += column / (lambdas[i] * lambdas[i])
            }
        }
        return total / Double(samples)
    }

    /// Equinorm, equiangularity and maximal-angle deviation of the rows of `vectors`.
    static func geometry(_ vectors: Tensor<Double>) -> (Double, Double, Double) {
        let c = vectors.shape[0]
        let norms = (0..<c).map { vectors.slice(alongAxis: 0, $0..<($0 + 1)).norm() }
        let meanNorm = norms.reduce(0, +) / Double(c)
        let normStd = (norms.reduce(0) { $0 + ($1 - meanNorm) * ($1 - meanNorm) } / Double(c)).squareRoot()
        let unit = vectors.unitRows()
        let cosines = unit.gramMatrix(ofRows: true)
        var values: [Double] = []
        for a in 0..<c { for b in (a + 1)..<c { values.append(cosines[a, b]) } }
        let meanCosine = values.reduce(0, +) / Double(max(values.count, 1))
        let cosineStd = (values.reduce(0) { $0 + ($1 - meanCosine) * ($1 - meanCosine) } / Double(max(values.count, 1))).squareRoot()
        let maxAngle = values.reduce(0) { $0 + abs($1 + 1 / Double(c - 1)) } / Double(max(values.count, 1))
        return (meanNorm > 0 ? normStd / meanNorm : 0, cosineStd, maxAngle)
    }

    /// ‖h_i − μ_k‖² for every sample and class mean, through one GEMM.
    static func squaredDistances(_ h: Tensor<Double>, _ means: Tensor<Double>) -> Tensor<Double> {
        let hh = (h * h).sum(alongAxis: 1, keepingDimension: true)
        let mm = (means * means).sum(alongAxis: 1).reshaped([1, means.shape[0]])
        return hh + mm - h.matmul(means, transposeOther: true) * 2
    }
}
