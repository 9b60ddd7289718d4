import NoetherNN
import NoetherTensor

/// How B's permutations are chosen.
public enum AlignmentMethod: String, Codable, Sendable, CaseIterable {
    /// Weight matching: coordinate descent on Σ ⟨θ_A, P·θ_B⟩.
    case weights
    /// Activation matching on data, with weight matching for groups that have no activations.
    case activations
}

/// One permutation group's part in an alignment, as `noether align --format json` prints it.
public struct AlignedGroup: Codable, Sendable, Hashable {
    public var name: String
    public var size: Int
    /// Units of B that moved.
    public var changed: Int
}

/// B′ = g·B aligned to A, and what it took.
public struct AlignmentOutcome: Sendable {
    public var parameters: Parameters<Float>
    public var method: AlignmentMethod
    public var groups: [AlignedGroup]
    /// ‖f(B′) − f(B)‖ / ‖f(B)‖ over all the check inputs (Frobenius norms).
    public var functionDifference: Double
    /// Wall time of the gauge fixing and matching (not of loading or the function check).
    public var seconds: Double
    public var sweeps: Int
}

/// Aligns model B to model A modulo every symmetry of the catalogue (DESIGN.md §9): both are
/// brought to the canonical gauge (balanced rescalings, canonical signs), B's permutations are
/// matched to A's units, and A's gauge is put back on the result, so B′ = g·B sits in A's
/// frame. B′ is checked to compute B's function on the given inputs.
public enum ModelAlignment {
    /// The largest relative output difference B′ may have from B.
    public static let functionTolerance = 1e-5

    public static func align(_ b: Model<Float>, to a: Model<Float>, method: AlignmentMethod = .weights, inputs: Tensor<Float>,
                             loss: LossKind? = nil, seed: UInt64 = 0) throws(AlignmentError) -> AlignmentOutcome {
        guard a.spec == b.spec else {
            throw AlignmentError("the two models have different architectures (\(a.spec.kindName) and \(b.spec.kindName), or different sizes)",
                                 hint: "align two runs of the same model config")
        }
        let clock = ContinuousClock()
        let start = clock.now
        let symmetries = SymmetryCatalogue.infer(a.architecture, loss: loss)
        let (gaugeA, canonicalA) = CanonicalGauge.canonicalise(a.parameters.converted(to: Double.self), symmetries: symmetries)
        var (_, canonicalB) = CanonicalGauge.canonicalise(b.parameters.converted(to: Double.self), symmetries: symmetries)
        let groups = WeightMatching.groups(symmetries)
        var fromActivations: [Int: [Int]] = [:]
        if method == .activations {
            let inputsDouble = Tensor<Double>(inputs)
            do {
                fromActivations = ActivationMatching.orders(
                    try Model(a.spec, parameters: canonicalA), try Model(b.spec, parameters: canonicalB), groups: groups, inputs: inputsDouble)
            } catch {
                throw AlignmentError("cannot rebuild the models for activation matching: \(error.description)")
            }
            for (index, order) in fromActivations.sorted(by: { $0.key < $1.key }) {
                canonicalB = groups[index].apply(.permutation(order), to: canonicalB)
            }
        }
        let matched = WeightMatching.match(canonicalB, to: canonicalA, groups: groups, fixed: Set(fromActivations.keys), seed: seed)
        let aligned = gaugeA.undo(matched.parameters).converted(to: Float.self)
        let seconds = Double((clock.now - start).components.attoseconds) * 1e-18 + Double((clock.now - start).components.seconds)
        let records = groups.enumerated().map { index, group in
            let order = fromActivations[index].map { first in matched.orders[index].map { first[$0] } } ?? matched.orders[index]
            return AlignedGroup(name: group.layer, size: group.units, changed: WeightMatching.moved(order))
        }
        let difference = try functionDifference(b, aligned, inputs: inputs)
        guard difference <= functionTolerance else {
            throw AlignmentError(
                "the aligned model's outputs differ from B's by \(difference) (relative), above \(functionTolerance): a symmetry of the catalogue is not exact for this model",
                hint: "report the architecture; use --method weights and check `noether symmetries --verify`")
        }
        return AlignmentOutcome(parameters: aligned, method: method, groups: records, functionDifference: difference, seconds: seconds,
                                sweeps: matched.sweeps)
    }

    /// ‖f(θ′)(x) − f(θ)(x)‖ / ‖f(θ)(x)‖ over the inputs, evaluated in chunks.
    public static func functionDifference(_ model: Model<Float>, _ other: Parameters<Float>, inputs: Tensor<Float>) throws(AlignmentError) -> Double {
        let moved: Model<Float>
        do { moved = try Model(model.spec, parameters: other) } catch { throw AlignmentError("the aligned parameters do not fit the model: \(error.description)") }
        let n = inputs.shape[0]
        var (difference, reference) = (0.0, 0.0)
        var start = 0
        while start < n {
            let end = min(start + 1024, n)
            let batch = inputs.slice(alongAxis: 0, start..<end)
            let (y, z) = (model(batch), moved(batch))
            y.withUnsafeBufferPointer { y in
                z.withUnsafeBufferPointer { z in
                    for i in 0..<y.count {
                        let d = Double(z[i]) - Double(y[i])
                        difference += d * d
                        reference += Double(y[i]) * Double(y[i])
                    }
                }
            }
            start = end
        }
        return reference > 0 ? (difference / reference).squareRoot() : difference.squareRoot()
    }
}
