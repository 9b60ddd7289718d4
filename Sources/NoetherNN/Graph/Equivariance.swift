/// The transformations of a layer's units that an operation commutes with: σ(g·x) = g·σ(x).
///
/// What survives between the weights that write a layer's units and those that read them
/// decides which symmetries the layer has: permutation always, rescaling with positively
/// homogeneous activations, sign flip with odd ones, rotation only with linear ones.
public struct Equivariance: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let permutation = Equivariance(rawValue: 1 << 0)
    /// Per-unit scaling by c > 0.
    public static let positiveScaling = Equivariance(rawValue: 1 << 1)
    /// Per-unit sign flips.
    public static let signFlip = Equivariance(rawValue: 1 << 2)
    /// Orthogonal maps of the units (what RMSNorm without a gain commutes with).
    public static let orthogonal = Equivariance(rawValue: 1 << 3)
    /// Every invertible linear map of the units.
    public static let generalLinear = Equivariance(rawValue: 1 << 4)

    /// A linear operation commutes with everything.
    public static let all: Equivariance = [.permutation, .positiveScaling, .signFlip, .orthogonal, .generalLinear]

    /// What an element-wise activation commutes with.
    public init(_ activation: Activation) {
        var result: Equivariance = .permutation
        if activation == .identity { result = .all }
        if activation.isPositivelyHomogeneous { result.insert(.positiveScaling) }
        if activation.isOdd { result.insert(.signFlip) }
        self = result
    }
}
