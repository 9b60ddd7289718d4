import NoetherNN
import NoetherRepresent
import NoetherSymmetry
import NoetherTensor

/// Dead and distinct units of the last hidden layer measured on data, at function level
/// (DESIGN §5 rule 8): unit i contributes c_i(x) = h_i(x)·a_i to the output (a_i: its column of
/// the linear readout), so removing it changes the outputs by ‖c_i‖ = ‖h_i‖·‖a_i‖ over the probe
/// samples. A unit whose contribution is below `deadRelative` × the largest unit's is dead;
/// alive units whose activations over the data are proportional compute one function (they
/// merge by summing their outgoing weights) and count once.
///
/// Unlike weight-level statistics this does not see parameters that do not change the function,
/// such as the frozen random offset θ₀ of syre.
public struct FunctionalUnits: Sendable, Equatable {
    /// The representation measured (the last hidden layer).
    public let layer: String
    public let units: Int
    public let dead: Int
    public let distinct: Int

    /// Measures `model`'s last hidden layer on `inputs`; nil when the model has no hidden layer
    /// before a linear readout.
    public static func measure(_ model: Model<Float>, inputs: Tensor<Float>, deadRelative: Double = 1e-3,
                               distinctTolerance: Double) -> FunctionalUnits? {
        let captured = CapturedRepresentations.capture(model, inputs: inputs)
        guard captured.layers.count >= 2, let readout = LayerwiseAnalysis.outputLayer(model) else { return nil }
        let hidden = captured.layers[captured.layers.count - 2]                    // [N, m]
        let m = hidden.shape[1]
        guard readout.weight.shape[1] == m, m > 0 else { return nil }
        let activations = hidden.transposed()                                       // [m, N]
        let activationNorms = (activations * activations).sum(alongAxis: 1).scalars.map { $0.squareRoot() }
        let readoutNorms = (readout.weight * readout.weight).sum(alongAxis: 0).scalars.map { $0.squareRoot() }
        let contributions = zip(activationNorms, readoutNorms).map { $0 * $1 }
        let largest = contributions.max() ?? 0
        let alive = contributions.indices.filter { largest > 0 && contributions[$0] >= deadRelative * largest }
        let distinct: Int
        if alive.isEmpty {
            distinct = 0
        } else {
            // Clusters of the alive units' activation directions over the data.
            let rows = activations.gatherRows(alive)
            distinct = NeuronStatistics(neurons: rows, thresholds: SymmetryThresholds(deadAbsolute: 0, distinctTolerance: distinctTolerance)).distinct
        }
        return FunctionalUnits(layer: captured.names[captured.layers.count - 2], units: m, dead: m - alive.count, distinct: distinct)
    }
}
