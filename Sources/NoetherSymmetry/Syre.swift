import NoetherNN
import NoetherTensor

/// syre — symmetry removal (Ziyin, Xu, Chuang, ICLR 2025): train ℓ(θ + θ₀) with weight decay
/// on θ, for a fixed random θ₀ ~ N(0, σ₀²). The decay then pulls the effective weights toward
/// θ₀ instead of 0, a point no mirror symmetry fixes, so with probability 1 no symmetric state
/// is stable. syre-AR additionally decays each coordinate at its own rate γ(1 + ξ_i),
/// ξ_i ~ U(−b, b).
public struct SyreSpec: Hashable, Sendable, Codable {
    /// σ₀ as a multiple of each parameter's init standard deviation.
    public var sigma: Double
    /// Only parameters whose names match this regular expression (all when nil).
    public var filter: String?
    /// Seeds θ₀ (default: derived from the run's seed).
    public var seed: UInt64?
    /// b of syre-AR (0: plain syre).
    public var arBound: Double
    /// Start θ at the initialisation minus θ₀, so that θ + θ₀ at step 0 is exactly the init a
    /// run without syre starts from (an init-matched comparison).
    public var matchInit: Bool

    public init(sigma: Double = 0.01, filter: String? = nil, seed: UInt64? = nil, arBound: Double = 0, matchInit: Bool = true) {
        (self.sigma, self.filter, self.seed, self.arBound, self.matchInit) = (sigma, filter, seed, arBound, matchInit)
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(sigma: try c.decodeIfPresent(Double.self, forKey: .sigma) ?? 0.01,
                  filter: try c.decodeIfPresent(String.self, forKey: .filter),
                  seed: try c.decodeIfPresent(UInt64.self, forKey: .seed),
                  arBound: try c.decodeIfPresent(Double.self, forKey: .arBound) ?? 0,
                  matchInit: try c.decodeIfPresent(Bool.self, forKey: .matchInit) ?? true)
    }

    public func validate() throws(ModelSpecError) {
        guard sigma >= 0, sigma.isFinite else { throw ModelSpecError("control.syre.sigma must be ≥ 0") }
        guard arBound >= 0, arBound < 1 else { throw ModelSpecError("control.syre.ar_bound must be in [0, 1)") }
        if let filter, (try? Regex(filter)) == nil {
            throw ModelSpecError("control.syre.filter '\(filter)' is not a valid regular expression")
        }
    }

    /// The anchors θ₀ (zero tensors for parameters the filter excludes) and, for syre-AR, the
    /// per-coordinate decay factors 1 + ξ_i.
    public func anchors<Scalar: TensorScalar>(for architecture: Architecture, initializer: InitializerSpec, generator: RandomGenerator)
        -> (anchors: [Tensor<Scalar>?], decayFactors: [Tensor<Scalar>?]) {
        let pattern = filter.flatMap { try? Regex($0) }
        var anchors: [Tensor<Scalar>?] = []
        var factors: [Tensor<Scalar>?] = []
        for descriptor in architecture.layout {
            let selected = pattern.map { descriptor.name.contains($0) } ?? true
            guard selected else {
                anchors.append(nil)
                factors.append(nil)
                continue
            }
            var stream = generator.derived("syre \(descriptor.name)")
            let std = sigma * initializer.standardDeviation(of: descriptor)
            anchors.append(std > 0 ? Tensor.normal(descriptor.shape, standardDeviation: std, using: &stream) : nil)
            factors.append(arBound > 0 ? Tensor.uniform(descriptor.shape, low: 1 - arBound, high: 1 + arBound, using: &stream) : nil)
        }
        return (anchors, factors)
    }
}
