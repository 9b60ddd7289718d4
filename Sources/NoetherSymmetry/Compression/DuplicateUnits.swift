import NoetherTensor

/// How close a layer's units are to the duplicated state of its permutation group (two units
/// with the same incoming weights, or under a rescaling group positive multiples of them, are a
/// fixed point of their swap, and the pair computes what one unit would). Built once per layer;
/// `plan(radius:)` then says which units merge into which at a given distance, so compression
/// can search the radius against the output tolerance.
struct DuplicateUnits {
    /// How many units (positions 0..<count of `UnitRows.keep`).
    let count: Int
    /// ⟨w_i, w_j⟩ of the incoming weights (the writers' slices side by side), count × count.
    private let gram: [Double]
    /// Largest first: the order in which units become representatives.
    private let order: [Int]
    /// Under a rescaling group a unit merges into a positive multiple; otherwise into a copy.
    private let positiveMultiples: Bool
    /// The units' activations on the data, one row each (count × n), when measured.
    private let activations: Tensor<Double>?

    /// A merge: the unit at keep-position `from` goes into the one at `into`; `c` is the factor of
    /// ``MergeRule/addOutgoing`` (the mean-direction rule computes its own).
    struct Merge: Equatable {
        let from: Int
        let into: Int
        let c: Double
    }

    /// - Parameters:
    ///   - incoming: the kept units' incoming weights, one row each.
    ///   - sizes: each kept unit's size (its contribution bound); the larger of two becomes the
    ///     representative, so the approximation moves the smaller contribution.
    ///   - activations: the units' activations on the data, a row each (count × n), for the
    ///     add-outgoing rule: a near-copy's factor c is then fitted where the error is measured,
    ///     c = ⟨h_u, h_w⟩/⟨h_w, h_w⟩; without them c is the weights' projection.
    init(incoming: Tensor<Double>, sizes: [Double], positiveMultiples: Bool, activations: Tensor<Double>?) {
        let count = incoming.shape[0]
        self.count = count
        gram = incoming.matmul(incoming, transposeOther: true).scalars
        order = (0..<count).sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        self.positiveMultiples = positiveMultiples
        self.activations = activations.flatMap { $0.rank == 2 && $0.shape[0] == count ? $0 : nil }
    }

    /// The distance of unit j from the duplicated state with r, and the factor c of the merge:
    /// under rescaling ‖d_j − d_r‖ between unit directions and the projection c = ⟨w_j, w_r⟩/‖w_r‖²;
    /// otherwise ‖w_j − w_r‖/‖w_r‖ and c = 1.
    private func distance(_ j: Int, _ r: Int) -> (distance: Double, c: Double) {
        let (jj, rr, jr) = (gram[j * count + j], gram[r * count + r], gram[j * count + r])
        guard rr > 0, jj > 0 else { return (.infinity, 0) }
        if positiveMultiples {
            let cosine = jr / (jj * rr).squareRoot()
            return ((max(2 - 2 * cosine, 0)).squareRoot(), jr / rr)
        }
        return ((max(jj + rr - 2 * jr, 0)).squareRoot() / rr.squareRoot(), 1)
    }

    /// Each unit, taken largest first, merges into the nearest representative within `radius`
    /// (with c > 0), or becomes a representative itself. A radius of 0 merges copies (to the
    /// Gram matrix's resolution, about 1e-8).
    func plan(radius: Double) -> [Merge] {
        var representatives: [Int] = []
        var merges: [Merge] = []
        for j in order {
            var best: (r: Int, distance: Double, c: Double)?
            for r in representatives {
                let (d, c) = distance(j, r)
                if d <= radius, c > 0, d < (best?.distance ?? .infinity) { best = (r, d, c) }
            }
            if let best {
                merges.append(Merge(from: j, into: best.r, c: fittedFactor(j, best.r) ?? best.c))
            } else {
                representatives.append(j)
            }
        }
        return merges
    }

    /// The least-squares factor of h_j ≈ c·h_r on the data (nil without activations, or when
    /// the fit is not a positive factor): exact for exact duplicates, and for near-copies the
    /// best single unit can do.
    private func fittedFactor(_ j: Int, _ r: Int) -> Double? {
        guard let activations else { return nil }
        let n = activations.shape[1]
        var (cross, own) = (0.0, 0.0)
        activations.withUnsafeBufferPointer { h in
            for i in 0..<n {
                let (a, b) = (h[j * n + i], h[r * n + i])
                cross += a * b
                own += b * b
            }
        }
        guard own > 0, cross > 0 else { return nil }
        return cross / own
    }

    /// The radii tried, smallest first: each unit's distance to its nearest larger unit. The
    /// plan changes at each of these, and can change at other pairwise distances too (a unit
    /// whose nearest larger unit joined a cluster); those are not tried, which keeps the search
    /// to about log₂(units) measurements.
    func candidateRadii() -> [Double] {
        var nearest = Set<Double>()
        for (rank, j) in order.enumerated() {
            if let closest = order.prefix(rank).map({ distance(j, $0).distance }).min(), closest.isFinite { nearest.insert(closest) }
        }
        return nearest.sorted()
    }
}
