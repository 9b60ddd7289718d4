import NoetherNN
import NoetherTensor

/// The subspace Θ_G of states a set of mirror symmetries fixes — neurons tied together
/// (u_i = u_j, a transposition) and neurons at zero (a rescaling or sign mirror) — with an
/// orthonormal basis B, so that φ = Bᵀθ are its coordinates.
///
/// The paper's Theorem 1: if the loss has the symmetry and θ₀ ∈ Θ_G, gradient descent stays in
/// Θ_G, and its trajectory is that of the reduced model φ ↦ ℓ(Bφ) with `dimension` parameters.
public struct SymmetricSubspace {
    /// Flat coordinates (parameter position, element) of unit u, the same order for every unit.
    private let unitCoordinates: [[(Int, Int)]]
    private let tied: [(Int, Int)]
    private let zeroed: Set<Int>
    private let shapes: [Shape]
    /// Each reduced coordinate: the full coordinates it spreads over (weight 1/√n each).
    private let basis: [[(Int, Int)]]

    /// The number of parameters of the reduced model.
    public var dimension: Int { basis.count }
    /// The number of parameters of the full model.
    public var fullDimension: Int { shapes.reduce(0) { $0 + $1.count } }

    /// - Parameters:
    ///   - spec: the symmetry whose units are tied or zeroed.
    ///   - tiedPairs: pairs of units constrained equal (disjoint).
    ///   - zeroedUnits: units constrained to zero.
    ///   - names/shapes: the parameter layout.
    public init(spec: SymmetrySpec, tiedPairs: [(Int, Int)], zeroedUnits: [Int], names: [String], shapes: [Shape]) {
        self.shapes = shapes
        tied = tiedPairs
        zeroed = Set(zeroedUnits)
        // Locate every unit's coordinates by reading the index pattern of each slice.
        var coordinates = [[(Int, Int)]](repeating: [], count: spec.units)
        for slice in spec.incoming + spec.outgoing {
            guard let position = names.firstIndex(of: slice.name) else { continue }
            let shape = shapes[position]
            let indices = Tensor<Double>(shape: shape, scalars: (0..<shape.count).map(Double.init))
            let rows = UnitMatrix.read(indices, slice, units: spec.units)
            for u in 0..<spec.units {
                for k in 0..<rows.shape[1] { coordinates[u].append((position, Int(rows[u, k]))) }
            }
        }
        unitCoordinates = coordinates
        var claimed = Set<[Int]>()
        var basis: [[(Int, Int)]] = []
        for (i, j) in tiedPairs {
            for k in coordinates[i].indices {
                basis.append([coordinates[i][k], coordinates[j][k]])
                claimed.insert([coordinates[i][k].0, coordinates[i][k].1])
                claimed.insert([coordinates[j][k].0, coordinates[j][k].1])
            }
        }
        for u in zeroedUnits { for c in coordinates[u] { claimed.insert([c.0, c.1]) } }
        for (position, shape) in shapes.enumerated() {
            for element in 0..<shape.count where !claimed.contains([position, element]) { basis.append([(position, element)]) }
        }
        self.basis = basis
    }

    /// φ = Bᵀθ.
    public func restrict(_ point: [Tensor<Double>]) -> [Double] {
        let values = point.map(\.scalars)
        return basis.map { group in
            group.reduce(0) { $0 + values[$1.0][$1.1] } / Double(group.count).squareRoot()
        }
    }

    /// θ = Bφ.
    public func embed(_ coordinates: [Double]) -> [Tensor<Double>] {
        var values = shapes.map { [Double](repeating: 0, count: $0.count) }
        for (index, group) in basis.enumerated() {
            let share = coordinates[index] / Double(group.count).squareRoot()
            for (position, element) in group { values[position][element] = share }
        }
        return zip(shapes, values).map { Tensor(shape: $0, scalars: $1) }
    }

    /// P_G θ = B Bᵀ θ.
    public func project(_ point: [Tensor<Double>]) -> [Tensor<Double>] { embed(restrict(point)) }
}

/// Gradient descent on the reduced model φ ↦ ℓ(Bφ) (+ (γ/2)‖φ‖²): the gradient is Bᵀ∇ℓ(Bφ).
public struct ReducedModel {
    public let subspace: SymmetricSubspace
    public let function: LossFunction<Double>
    public private(set) var coordinates: [Double]

    public init(subspace: SymmetricSubspace, function: LossFunction<Double>, start: [Tensor<Double>]) {
        self.subspace = subspace
        self.function = function
        coordinates = subspace.restrict(start)
    }

    /// The full parameters the reduced model stands for.
    public var point: [Tensor<Double>] { subspace.embed(coordinates) }

    /// One gradient-descent step.
    public mutating func step(learningRate: Double, weightDecay: Double = 0) {
        let gradient = subspace.restrict(function.gradient(point))
        for i in coordinates.indices { coordinates[i] -= learningRate * (gradient[i] + weightDecay * coordinates[i]) }
    }
}
