import NoetherNN
import NoetherTensor

/// Git Re-Basin's weight matching (DESIGN.md §9) over every permutation group of the catalogue:
/// find the permutations P_g maximising Σ ⟨θ_A, P·θ_B⟩ by coordinate descent over the groups
/// in a seeded random order, each step an exact linear assignment, until a sweep improves nothing.
///
/// The groups are the catalogue's own (hidden units, channels, heads, gated units, residual
/// streams), so nothing here knows an architecture: a group's cost matrix is the sum over its
/// slices of A's unit rows against B's current unit rows, C[i, j] = Σ_s ⟨A_s[i], B_s[j]⟩,
/// with every other group's permutation already applied to B.
public enum WeightMatching {
    /// The permutation groups of a catalogue that weight matching moves (those with ≥ 2 units).
    public static func groups(_ symmetries: [SymmetrySpec]) -> [SymmetrySpec] {
        symmetries.filter { $0.kind == .permutation && $0.units > 1 && !($0.incoming + $0.outgoing).isEmpty }
    }

    /// The outcome: B's parameters permuted, and each group's permutation (unit u of the result
    /// is unit `orders[g][u]` of B, composed over every step that moved group g).
    public struct Result: Sendable {
        public var parameters: Parameters<Double>
        public var orders: [[Int]]
        public var sweeps: Int
    }

    /// Permutes `b` towards `a`.
    ///
    /// - Parameters:
    ///   - fixed: groups (by index into `groups`) left alone, e.g. already matched on activations.
    ///   - maxSweeps: a bound on the sweeps over all groups (each sweep never lowers the objective,
    ///     so the bound only guards against cycling between equal optima).
    public static func match(_ b: Parameters<Double>, to a: Parameters<Double>, groups: [SymmetrySpec], fixed: Set<Int> = [],
                             seed: UInt64 = 0, maxSweeps: Int = 100) -> Result {
        var current = b
        var orders = groups.map { Array(0..<$0.units) }
        // A slice of a tensor no other group touches only ever moves with its own group, so its
        // part of the cost is computed once, in B's original unit order, and later read through
        // the group's current permutation; only slices shared with other groups are recomputed.
        var owners: [String: Set<Int>] = [:]
        for (g, group) in groups.enumerated() { for slice in group.slices { owners[slice.name, default: []].insert(g) } }
        let shared = groups.indices.map { g in groups[g].slices.map { (owners[$0.name]?.count ?? 0) > 1 } }
        let reference = groups.map { group in group.slices.map { slice in a[slice.name].map { UnitMatrix.read($0, slice, units: group.units) } } }
        let fixedCost = groups.indices.map { g in
            costMatrix(groups[g], reference: zip(reference[g], shared[g]).map { $1 ? nil : $0 }, current: b)
        }
        var generator = RandomGenerator(seed: seed).derived("weight-matching")
        var sweeps = 0
        let movable = groups.indices.filter { !fixed.contains($0) }
        while sweeps < maxSweeps {
            sweeps += 1
            var improved = false
            var order = movable
            generator.shuffle(&order)
            for g in order {
                let group = groups[g]
                let n = group.units
                var cost = costMatrix(group, reference: zip(reference[g], shared[g]).map { $1 ? $0 : nil }, current: current)
                    ?? [Double](repeating: 0, count: n * n)
                if let fixedCost = fixedCost[g] {
                    let columns = orders[g]
                    for i in 0..<n { for j in 0..<n { cost[i * n + j] += fixedCost[i * n + columns[j]] } }
                }
                guard let assignment = LinearAssignment.maximise(cost, rows: n, columns: n) else { continue }
                let before = (0..<n).reduce(0.0) { $0 + cost[$1 * n + $1] }
                let after = (0..<n).reduce(0.0) { $0 + cost[$1 * n + assignment[$1]] }
                // Only a strict gain moves the group, so equal optima cannot cycle.
                guard after > before + 1e-12 * max(abs(before), 1), assignment != Array(0..<n) else { continue }
                current = group.apply(.permutation(assignment), to: current)
                orders[g] = assignment.map { orders[g][$0] }
                improved = true
            }
            if !improved { break }
        }
        return Result(parameters: current, orders: orders, sweeps: sweeps)
    }

    /// C[i, j] = Σ over the group's slices of ⟨A's unit i, B's unit j⟩, row-major.
    static func costMatrix(_ group: SymmetrySpec, reference: [Tensor<Double>?], current: Parameters<Double>) -> [Double]? {
        var total: Tensor<Double>?
        for (slice, a) in zip(group.slices, reference) {
            guard let a, let tensor = current[slice.name] else { continue }
            let b = UnitMatrix.read(tensor, slice, units: group.units)
            let product = a.matmul(b, transposeOther: true)
            total = total.map { $0 + product } ?? product
        }
        return total?.scalars
    }

    /// The number of units a permutation moves.
    public static func moved(_ order: [Int]) -> Int { order.enumerated().filter { $0.offset != $0.element }.count }
}

extension SymmetrySpec {
    /// Every slice the group acts on, incoming then outgoing.
    var slices: [UnitSlice] { incoming + outgoing }
}
