import NoetherTensor

/// The rank structure of a representation: rank_τ at three thresholds and the effective rank
/// of the centred N × p matrix (DESIGN.md §4). Plotted against depth this shows expansion,
/// reduction (the tunnel) and transmission.
public struct RepresentationRank: Hashable, Sendable, Codable {
    public let samples: Int
    public let features: Int
    /// Singular values of the centred matrix, descending.
    public let singularValues: [Double]

    /// rank_τ = #{k : σ_k > τ·σ_max}.
    public func rank(threshold tau: Double = 1e-3) -> Int {
        let top = singularValues.first ?? 0
        return top > 0 ? singularValues.filter { $0 > tau * top }.count : 0
    }

    /// exp(−Σ p_k log p_k), p_k = σ_k/Σσ.
    public var effectiveRank: Double {
        let total = singularValues.reduce(0, +)
        guard total > 0 else { return 0 }
        return Double.exp(singularValues.reduce(0.0) { acc, s in s > 0 ? acc - (s / total) * Double.log(s / total) : acc })
    }

    /// Measures a samples × features matrix.
    public init(_ representation: Tensor<Double>) throws(RepresentationError) {
        try self.init(CentredGram(try validated(representation, name: "the representation")))
    }

    /// From a centred representation and its Gram matrix.
    init(_ x: CentredGram) throws(RepresentationError) {
        (samples, features) = (x.centred.shape[0], x.centred.shape[1])
        // The smaller Gram matrix has the squared singular values as eigenvalues.
        do {
            let eigenvalues = try x.gram.symmetricEigendecomposition(computeVectors: false).eigenvalues.scalars
            singularValues = eigenvalues.reversed().map { Swift.max($0, 0).squareRoot() }
        } catch {
            throw RepresentationError("the spectrum could not be computed: \(error.description)")
        }
    }
}
import RealModule
