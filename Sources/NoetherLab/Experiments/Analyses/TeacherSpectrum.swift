import NoetherTensor
import NoetherTraining

/// E10's comparison of learned query–key spectra with the teacher's.
///
/// A one-block student scores tokens x_i, x_j with head h as x_iᵀ M_h x_j (plus terms that are
/// linear in x_j), where M_h = Eᵀ W_Q^hᵀ W_K^h E · √d / √d_h in the teacher's units (E the token
/// embedding, d the token dimension, d_h the head width); the teacher's form is A with singular
/// values s. Weight decay on a factorised form penalises its nuclear norm (the double rotation
/// lets the factors balance), so the theory predicts a soft-thresholded teacher:
/// σ_i = κ · max(s_i − τ, 0). Two of the learned values fix κ and τ; the next two are predicted,
/// against a uniformly scaled teacher (σ_i = κ s_i) as the alternative.
struct TeacherSpectrum {
    /// The top singular values of the dominant head's form (largest Frobenius norm), in A's units.
    let learned: [Double]
    let teacher: [Double]

    init(learned: [Double], teacher: [Double]) {
        (self.learned, self.teacher) = (learned, teacher.sorted(by: >))
    }

    init?(_ run: ExperimentRun) {
        guard let teacher = run.config.data.singularValues, teacher.count >= 4, teacher.allSatisfy({ $0 > 0 }),
              case .transformer(let spec) = run.config.model, spec.depth == 1,
              let embed = run.result.parameters["embed.weight"],
              let query = run.result.parameters["blocks.0.attn.q_proj.weight"],
              let key = run.result.parameters["blocks.0.attn.k_proj.weight"] else { return nil }
        let headWidth = spec.width / spec.heads
        let scale = (Double(spec.tokenDimension) / Double(headWidth)).squareRoot()
        var best: (norm: Double, values: [Double]) = (-1, [])
        for head in 0..<spec.heads {
            let rows = head * headWidth..<(head + 1) * headWidth
            let q = query.slice(alongAxis: 0, rows).matmul(embed)    // [d_h, d]
            let k = key.slice(alongAxis: 0, rows).matmul(embed)
            let form = q.matmul(k, transposeSelf: true)               // [d, d]
            guard let values = try? form.singularValues() else { return nil }
            let scaled = values.map { Double($0) * scale }
            let norm = scaled.reduce(0) { $0 + $1 * $1 }
            if norm > best.norm { best = (norm, scaled) }
        }
        (learned, self.teacher) = (Array(best.values.prefix(teacher.count)), teacher.sorted(by: >))
    }

    /// τ from the ratio of the first two learned values (nil when it does not determine one).
    var threshold: Double? {
        guard learned.count >= 2, learned[1] > 0 else { return nil }
        let ratio = learned[0] / learned[1]
        guard ratio > 1 else { return nil }
        // (s₁ − τ) / (s₂ − τ) = ratio.
        return (ratio * teacher[1] - teacher[0]) / (ratio - 1)
    }

    /// σ_i / σ₁ under the soft-thresholded teacher, for i = 3, 4.
    var softThresholdRatios: [Double] {
        guard let tau = threshold, teacher[0] > tau else { return [.nan, .nan] }
        return [2, 3].map { max(teacher[$0] - tau, 0) / (teacher[0] - tau) }
    }

    /// σ_i / σ₁ under the uniformly scaled teacher.
    var scaledRatios: [Double] { [2, 3].map { teacher[$0] / teacher[0] } }

    /// The observed σ_i / σ₁, i = 3, 4.
    var observedRatios: [Double] {
        guard learned.count >= 4, learned[0] > 0 else { return [.nan, .nan] }
        return [2, 3].map { learned[$0] / learned[0] }
    }
}
