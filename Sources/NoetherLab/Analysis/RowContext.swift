import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTraining

/// What measuring one row of `noether analyze` needs; shared read-only by the jobs.
struct RowContext: @unchecked Sendable {
    // @unchecked: the collection only reads its files (each read opens its own descriptor) and
    // nothing here is mutated after construction.
    let collection: SafetensorsCollection
    let inferred: InferredModel
    let thresholds: SymmetryThresholds
    let folds: [NormFold]
    let spectra: Bool

    /// Measures one inferred layer. Its tensors are read and converted for this row only and
    /// freed when it returns, so a job holds one row's matrices at a time.
    ///
    /// - Parameter heads: the query heads to measure (a sample), or nil for all.
    func measure(_ layer: InferredLayer, heads sample: [Int]?) throws(RunError) -> WeightAnalysisReport.Row {
        var reader = TensorReader(collection: collection, folds: folds)
        var row = WeightAnalysisReport.Row(name: layer.name, kind: layer.kind, role: layer.role, shape: layer.shape, status: layer.status,
                                           tensors: layer.tensors, flags: layer.flags.isEmpty ? nil : layer.flags)
        guard layer.status == "ok" else { return row }
        // NaN or infinity would give a plausible-looking rank of 0: report it instead.
        for name in layer.tensors where !(try reader.tensor(name)).isFinite {
            row.status = "non-finite (\(name) holds NaN or infinite values)"
            return row
        }
        if let weight = layer.weight {
            try WeightAnalysis.measureMatrix(weight, into: &row, inferred: inferred, thresholds: thresholds, spectra: spectra, reader: &reader)
        } else if let attention = layer.attention {
            try WeightAnalysis.measureAttention(attention, rotary: layer.rotaryDimensions, into: &row, thresholds: thresholds,
                                                heads: sample, reader: &reader)
        } else if let mlp = layer.gatedMLP {
            // The weights are freed once their canonical neurons are built: at a 1B model's
            // width each copy is a quarter gigabyte.
            let neurons = GatedUnitStatistics.canonicalNeurons(mlp, try reader.parameters((mlp.gate + mlp.up + [mlp.down]).map(\.name)))
            reader.release()
            let statistics = GatedUnitStatistics(units: mlp.units, neurons, thresholds)
            (row.dead, row.distinct) = (statistics.dead, statistics.distinct)
            row.degreeOfSymmetry = mlp.units > 0 ? Double(mlp.units - statistics.distinct) / Double(mlp.units) : nil
        }
        return row
    }
}
