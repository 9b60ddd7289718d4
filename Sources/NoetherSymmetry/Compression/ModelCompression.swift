import NoetherNN
import NoetherTensor

/// What `noether compress --format json` prints.
public struct CompressionReport: Codable, Sendable, Equatable {
    public var parametersBefore: Int
    public var parametersAfter: Int
    public var unitsRemoved: Int
    /// max |f(θ′)(x) − f(θ)(x)| over the check inputs and outputs.
    public var maxOutputDifference: Double
    /// Per hidden layer: its units before and after, and how many went as dead, merged
    /// duplicates or beyond a factor pair's rank.
    public var layers: [CompressedLayer]

    enum CodingKeys: String, CodingKey {
        case parametersBefore = "parameters_before", parametersAfter = "parameters_after", unitsRemoved = "units_removed"
        case maxOutputDifference = "max_output_difference", layers
    }
}

public struct CompressedLayer: Codable, Sendable, Equatable {
    public var name: String
    public var unitsBefore: Int
    public var unitsAfter: Int
    public var dead: Int
    public var merged: Int
    public var beyondRank: Int

    enum CodingKeys: String, CodingKey {
        case name, unitsBefore = "units_before", unitsAfter = "units_after", dead, merged, beyondRank = "beyond_rank"
    }
}

/// Compression by symmetric states (DESIGN.md §9, Theorem 1 made practical): a model at (or
/// near) a symmetric state is a smaller model. Per resizable layer ℓ of L, in order:
/// - a linear segment with a rotation group (a factor pair W_{ℓ+1}W_ℓ) is stored at the rank of
///   its product (not searched: the final check decides);
/// - otherwise units at or near the duplicated state are merged (``MergeRule``: under a
///   rescaling group each cluster becomes one unit on its mean direction; otherwise a copy's
///   outgoing weights are added to its representative's), up to the largest radius whose
///   measured outputs stay within T·(ℓ + ½)/(2L) of the original's;
/// - then dead units are removed, in order of their largest contribution on the data,
///   max|h_u|·max|a_u|, as many as keep the measured outputs within T·(ℓ + 1)/(2L).
/// Each search measures the whole model (earlier layers already edited) against the original,
/// at full width (removed units silenced), so the budgets are cumulative and the searches end
/// within T/2 on the check inputs. The other half is a margin for what they do not see: the
/// smaller model's products round differently from the full-width ones, and inputs beyond the
/// check's (the first `--samples` training and test inputs; a test set can be larger). The
/// result is refused when its measured outputs differ from the original's by more than T.
///
/// The model kinds whose widths a config states per layer are supported: `mlp` (without
/// residual connections or gates), `deep_linear` and `cnn` (its convolution channels — a
/// channel is a unit whose activation map is its column block — and its dense hidden units).
public enum ModelCompression {
    /// Singular values below this fraction of the largest are beyond a factor pair's rank.
    public static let rankTolerance = 1e-6

    /// - Throws: ``AlignmentError`` for a model it cannot compress, ``CompressionRefused`` (with
    ///   the report) when the result exceeds the tolerance.
    public static func compress(_ model: Model<Float>, inputs: Tensor<Float>, tolerance: Double) throws -> (Model<Float>, CompressionReport) {
        guard tolerance >= 0, tolerance.isFinite else { throw AlignmentError("--tolerance must be a non-negative number, got \(tolerance)") }
        guard inputs.rank == 2, inputs.shape[0] > 0 else { throw AlignmentError("compression needs data to measure the outputs on") }
        var resizable = try ResizableLayers(model.spec)
        let inputsDouble = Tensor<Double>(inputs)
        var parameters = model.parameters.converted(to: Double.self)
        var layers: [CompressedLayer] = []
        for (layer, label) in resizable.labels.enumerated() {
            let current: Model<Double>
            do { current = try Model(resizable.spec, parameters: parameters) } catch { throw AlignmentError("cannot rebuild the model: \(error.description)") }
            let symmetries = SymmetryCatalogue.infer(current.architecture)
            guard let permutation = symmetries.first(where: { $0.kind == .permutation && $0.layer == label && $0.scope == .units }) else { continue }
            let rotation = symmetries.first { $0.kind == .rotation && $0.layer == label }
            let rescaling = symmetries.first { $0.kind == .rescaling && $0.layer == label }
            var unit = UnitRows(permutation, parameters)
            var record = CompressedLayer(name: label, unitsBefore: permutation.units, unitsAfter: permutation.units, dead: 0, merged: 0, beyondRank: 0)
            if let rotation, Set(rotation.incoming) == Set(permutation.incoming) {
                record.beyondRank = unit.truncateRank(rotation, tolerance: rankTolerance)
            } else {
                guard let activations = ActivationMatching.unitColumns(current, inputsDouble, layer: label, units: permutation.units) else { continue }
                let share = tolerance / Double(2 * resizable.labels.count)
                let peaks = UnitRows.activationPeaks(activations)
                let bounds = unit.contributionBounds(peaks: peaks)
                let search = EditSearch(original: model, spec: resizable.spec, parameters: parameters, inputs: inputs)
                let rule = rescaling.map { MergeRule.meanDirection(writers: $0.incoming) } ?? .addOutgoing
                if let duplicates = unit.duplicates(writers: rescaling?.incoming ?? permutation.incoming, positiveMultiples: rescaling != nil,
                                                    sizes: bounds, activations: rescaling == nil ? activations : nil) {
                    let merges = try search.merges(duplicates, of: unit, rule: rule, allowance: share * (Double(layer) + 0.5))
                    unit.merge(merges, rule: rule)
                    record.merged = merges.count
                }
                // Merging changed the representatives' outgoing weights, so their bounds too.
                let dead = try search.deadUnits(of: unit, bounds: unit.contributionBounds(peaks: peaks),
                                                allowance: share * Double(layer + 1))
                unit.remove(dead)
                record.dead = dead.count
            }
            guard unit.keep.count < permutation.units else { layers.append(record); continue }
            guard !unit.keep.isEmpty else {
                throw AlignmentError("\(label) would lose every unit", hint: "the model's output does not depend on this layer; train with less weight decay")
            }
            parameters = try unit.written(into: parameters)
            resizable.widths[layer] = unit.keep.count
            record.unitsAfter = unit.keep.count
            layers.append(record)
        }
        let compressed: Model<Float>
        do { compressed = try Model(resizable.spec, parameters: parameters.converted(to: Float.self)) } catch {
            throw AlignmentError("cannot build the compressed model: \(error.description)")
        }
        let difference = maxDifference(model, compressed, inputs: inputs)
        let report = CompressionReport(parametersBefore: model.parameters.scalarCount, parametersAfter: compressed.parameters.scalarCount,
                                       unitsRemoved: layers.reduce(0) { $0 + $1.unitsBefore - $1.unitsAfter }, maxOutputDifference: difference,
                                       layers: layers)
        guard difference <= tolerance else {
            throw CompressionRefused(report: report, tolerance: tolerance)
        }
        return (compressed, report)
    }

    /// max |f(x) − g(x)| over the inputs and outputs, in chunks.
    static func maxDifference(_ f: Model<Float>, _ g: Model<Float>, inputs: Tensor<Float>) -> Double {
        var largest = 0.0
        var start = 0
        while start < inputs.shape[0] {
            let end = min(start + 1024, inputs.shape[0])
            let batch = inputs.slice(alongAxis: 0, start..<end)
            let (y, z) = (f(batch), g(batch))
            y.withUnsafeBufferPointer { y in
                z.withUnsafeBufferPointer { z in
                    for i in 0..<y.count {
                        // A NaN output is as far as outputs get (max would skip it).
                        let difference = abs(Double(y[i]) - Double(z[i]))
                        largest = difference.isNaN ? .infinity : max(largest, difference)
                    }
                }
            }
            start = end
        }
        return largest
    }
}

/// The refusal: the compressed model's outputs differ from the original's by more than the tolerance.
public struct CompressionRefused: NoetherError {
    public let report: CompressionReport
    public let tolerance: Double
    public var message: String {
        "the compressed model's outputs differ from the original's by up to \(report.maxOutputDifference), above the tolerance \(tolerance); nothing was written"
    }
    public var hint: String? { "raise --tolerance, or compress a run trained with stronger weight decay" }
}
