import RealModule
import NoetherNN
import NoetherTensor

/// The gauge that alignment fixes before matching permutations (DESIGN.md §9): every rescaling
/// group brought to balanced norms (‖incoming_u‖ = ‖outgoing_u‖) and every sign group to a
/// canonical sign (the unit's incoming entries sum to a non-negative number).
///
/// Two models in the canonical gauge differ by permutations alone where their functions agree,
/// so weight matching compares like with like.
public struct CanonicalGauge: Sendable {
    /// The group elements applied, in order: applying them to the original gives the canonical model.
    public let steps: [(SymmetrySpec, GroupElement)]

    /// The symmetries the gauge fixes.
    public static func groups(_ symmetries: [SymmetrySpec]) -> [SymmetrySpec] {
        symmetries.filter { [.rescaling, .gatedRescaling, .signFlip].contains($0.kind) && !$0.incoming.isEmpty && !$0.outgoing.isEmpty }
    }

    /// The gauge of `parameters` and the canonical parameters.
    ///
    /// Balancing one layer unbalances its neighbours (they share a weight), so the rescalings
    /// are balanced in turn until none moves: coordinate descent on Σ‖θ‖² over the orbit, which
    /// is convex in log c, so the balanced point is unique and the result depends on the orbit
    /// alone, not on where in it the model started.
    public static func canonicalise(_ parameters: Parameters<Double>, symmetries: [SymmetrySpec], passes: Int = 500) -> (CanonicalGauge, Parameters<Double>) {
        var current = parameters
        let chosen = groups(symmetries)
        let scaled = chosen.filter { $0.kind != .signFlip }
        var totals = scaled.map { [Double](repeating: 1, count: $0.units) }
        for _ in 0..<passes {
            var largest = 0.0
            for (index, spec) in scaled.enumerated() {
                let (incoming, outgoing) = (norms(spec.incoming, spec.units, current), norms(spec.outgoing, spec.units, current))
                // c² ‖in‖² = ‖out‖² / c²; a unit with either side zero stays as it is.
                let factors = zip(incoming, outgoing).map { i, o in i > 0 && o > 0 ? (o / i).squareRoot() : 1 }
                largest = max(largest, factors.map { abs(Double.log($0)) }.max() ?? 0)
                current = spec.apply(.rescaling(factors), to: current)
                totals[index] = zip(totals[index], factors).map { $0 * $1 }
            }
            if largest < 1e-7 { break }
        }
        var steps = zip(scaled, totals).map { ($0, GroupElement.rescaling($1)) }
        for spec in chosen where spec.kind == .signFlip {
            let signs = sums(spec.incoming, spec.units, current).map { $0 < 0 ? -1.0 : 1.0 }
            guard signs.contains(-1) else { continue }
            current = spec.apply(.signFlip(signs), to: current)
            steps.append((spec, .signFlip(signs)))
        }
        return (CanonicalGauge(steps: steps), current)
    }

    /// Undoes the gauge on a model whose units are in this model's order: the inverse elements
    /// in reverse order.
    public func undo(_ parameters: Parameters<Double>) -> Parameters<Double> {
        var current = parameters
        for (spec, element) in steps.reversed() {
            switch element {
            case .rescaling(let c): current = spec.apply(.rescaling(c.map { 1 / $0 }), to: current)
            default: current = spec.apply(element, to: current)
            }
        }
        return current
    }

    static func norms(_ slices: [UnitSlice], _ units: Int, _ parameters: Parameters<Double>) -> [Double] {
        var squares = [Double](repeating: 0, count: units)
        for slice in slices {
            guard let tensor = parameters[slice.name] else { continue }
            let rows = UnitMatrix.read(tensor, slice, units: units)
            let width = rows.shape[1]
            rows.withUnsafeBufferPointer { x in
                for u in 0..<units { for k in 0..<width { squares[u] += x[u * width + k] * x[u * width + k] } }
            }
        }
        return squares.map { $0.squareRoot() }
    }

    static func sums(_ slices: [UnitSlice], _ units: Int, _ parameters: Parameters<Double>) -> [Double] {
        var totals = [Double](repeating: 0, count: units)
        for slice in slices {
            guard let tensor = parameters[slice.name] else { continue }
            let rows = UnitMatrix.read(tensor, slice, units: units)
            let width = rows.shape[1]
            rows.withUnsafeBufferPointer { x in
                for u in 0..<units { for k in 0..<width { totals[u] += x[u * width + k] } }
            }
        }
        return totals
    }
}
