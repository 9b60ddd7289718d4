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

    /// The merges at the largest candidate radius that fits: a binary search, which assumes
    /// the difference grows with the radius. It does only roughly (measured: small dips), so the
    /// search can stop short of the largest plan that fits, but it only returns a plan it
    /// measured (or none: merging nothing leaves the model as the earlier layers' edits made it,
    /// which their own searches measured).
    func merges(_ duplicates: DuplicateUnits, of unit: UnitRows, rule: MergeRule,
                allowance: Double) throws(AlignmentError) -> [DuplicateUnits.Merge] {
        let radii = duplicates.candidateRadii()
        func plan(_ count: Int) -> [DuplicateUnits.Merge] { count == 0 ? [] : duplicates.plan(radius: radii[count - 1]) }
        // `low` is a measured fit (or no merge); the plans above `high` are assumed not to fit.
        var (low, high) = (0, radii.count)
        while low < high {
            let middle = (low + high + 1) / 2
            var candidate = unit
            candidate.merge(plan(middle), rule: rule)
            if try fits(candidate, allowance: allowance) { low = middle } else { high = middle - 1 }
        }
        return plan(low)
    }

    /// The most kept units, tried in order of their contribution bound, whose removal fits: a
    /// binary search on the count, which assumes (as the merge search does) that removing more
    /// never fits better, and returns only a measured fit. One unit always stays.
    func deadUnits(of unit: UnitRows, bounds: [Double], allowance: Double) throws(AlignmentError) -> [Int] {
        let order = unit.keep.sorted { bounds[$0] != bounds[$1] ? bounds[$0] < bounds[$1] : $0 < $1 }
        // Units that contribute nothing start the search, measured too: their bounds come from
        // activations taken before this layer's merges moved some units' incoming weights.
        var silent = order.filter { bounds[$0] == 0 }.count
        if silent > 0, try !fits(unit, silencing: Array(order.prefix(silent)), allowance: allowance) { silent = 0 }
        // `low` is a measured fit (or none); counts above `high` are assumed not to fit.
        var (low, high) = (silent, max(order.count - 1, silent))
        while low < high {
            let middle = (low + high + 1) / 2
            if try fits(unit, silencing: Array(order.prefix(middle)), allowance: allowance) { low = middle } else { high = middle - 1 }
        }
        return Array(order.prefix(min(low, order.count - 1)))
    }
}
