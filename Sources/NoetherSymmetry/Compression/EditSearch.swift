import NoetherNN
import NoetherTensor

/// Compression's searches within one hidden layer: each candidate edit is written into the
/// model at full width and measured against the original on the data, so an edit is kept only
/// when the outputs stay within its allowance.
struct EditSearch {
    let original: Model<Float>
    /// The current model's spec and parameters (earlier layers already compressed).
    let spec: ModelSpec
    let parameters: Parameters<Double>
    let inputs: Tensor<Float>

    /// Whether the model with `unit`'s edits, and `extra` of its units silenced, stays within
    /// `allowance` of the original.
    func fits(_ unit: UnitRows, silencing extra: [Int] = [], allowance: Double) throws(AlignmentError) -> Bool {
        let candidate: Model<Float>
        do { candidate = try Model(spec, parameters: unit.applied(to: parameters, silencing: extra).converted(to: Float.self)) } catch {
            throw AlignmentError("cannot rebuild the model: \(error.description)")
        }
        return ModelCompression.maxDifference(original, candidate, inputs: inputs) <= allowance
    }

    /// The merges at the largest distance from the duplicated state that fits (a binary search
    /// over the distances at which the plan changes; merging nothing always fits).
    func merges(_ duplicates: DuplicateUnits, of unit: UnitRows, centroids: [UnitSlice]?, allowance: Double) throws(AlignmentError) -> [DuplicateUnits.Merge] {
        let radii = duplicates.candidateRadii()
        func plan(_ count: Int) -> [DuplicateUnits.Merge] { count == 0 ? [] : duplicates.plan(radius: radii[count - 1]) }
        // Invariant: the plan at `low` fits; every plan above `high` does not.
        var (low, high) = (0, radii.count)
        while low < high {
            let middle = (low + high + 1) / 2
            var candidate = unit
            candidate.merge(plan(middle), centroids: centroids)
            if try fits(candidate, allowance: allowance) { low = middle } else { high = middle - 1 }
        }
        return plan(low)
    }

    /// The most kept units, tried in order of their contribution bound, whose removal fits
    /// (a binary search on the count; units that contribute exactly nothing always go, and one
    /// unit always stays).
    func deadUnits(of unit: UnitRows, bounds: [Double], allowance: Double) throws(AlignmentError) -> [Int] {
        let order = unit.keep.sorted { bounds[$0] != bounds[$1] ? bounds[$0] < bounds[$1] : $0 < $1 }
        let silent = order.filter { bounds[$0] == 0 }.count
        // Invariant: `low` units fit (or are exactly silent); `high` + 1 do not, or are every unit but one.
        var (low, high) = (silent, max(order.count - 1, silent))
        while low < high {
            let middle = (low + high + 1) / 2
            if try fits(unit, silencing: Array(order.prefix(middle)), allowance: allowance) { low = middle } else { high = middle - 1 }
        }
        return Array(order.prefix(min(low, order.count - 1)))
    }
}
