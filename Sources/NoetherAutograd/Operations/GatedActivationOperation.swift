import NoetherTensor

/// The gate nonlinearity of a gated MLP y = W_down(σ(W_gate x) ⊙ W_up x) (Shazeer 2020).
public enum GatedActivation: String, Codable, Sendable, CaseIterable {
    /// σ = SiLU (LLaMA, Mistral, Qwen: `hidden_act: silu`).
    case swiglu
    /// σ = GELU, the exact erf form (Gemma's `gelu` variants).
    case geglu

    /// The element-wise gate function.
    public var function: UnaryFunction {
        switch self {
        case .swiglu: .silu
        case .geglu: .gelu
        }
    }
}

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func gatedActivation(gate: Variable<Scalar>, up: Variable<Scalar>, _ kind: GatedActivation) -> Variable<Scalar> {
        let shape = gate.shape
        precondition(shape == up.shape, "gated activation: gate \(shape) and up \(up.shape) differ")
        let count = shape.count
        let activation = output(shape)
        let result = output(shape)
        let (a, u, y) = (activation.unsafeBaseAddress, pointer(up.index), result.unsafeBaseAddress)
        Kernels.apply(kind.function, pointer(gate.index), a, count: count)
        for i in 0..<count { y[i] = a[i] * u[i] }
        return record(result, .gatedActivation(gate: gate.index, up: up.index, kind, activation: save(activation)),
                      needsGradient: needsGradient[gate.index] || needsGradient[up.index])
    }

    /// ∂up = gy ⊙ σ(gate); ∂gate = gy ⊙ up ⊙ σ′(gate), through the activation's own derivative.
    func backwardGatedActivation(gate: Int, up: Int, _ kind: GatedActivation, activation: Int, gradient gy: UnsafePointer<Scalar>) {
        let count = values[gate].count
        let (a, u) = (auxiliaryPointer(activation), pointer(up))
        // gy ⊙ up is the upstream gradient of σ(gate).
        let gateTarget = needsGradient[gate] ? output([count]) : nil
        if let scaled = gateTarget?.unsafeBaseAddress {
            for i in 0..<count { scaled[i] = gy[i] * u[i] }
        }
        if let (du, accumulate) = gradientTarget(up) {
            if accumulate { for i in 0..<count { du[i] += gy[i] * a[i] } } else { for i in 0..<count { du[i] = gy[i] * a[i] } }
        }
        if let scaled = gateTarget?.unsafeBaseAddress, let (dg, accumulate) = gradientTarget(gate) {
            Kernels.applyDerivative(kind.function, x: pointer(gate), y: a, gradientOutput: scaled, gradientInput: dg,
                                    count: count, accumulate: accumulate)
        }
    }
}

extension Variable {
    /// The fused gate of a gated MLP: σ(self) ⊙ up, with `self` the gate projection and `up`
    /// the up projection (same shape), σ SiLU for SwiGLU or GELU for GeGLU.
    public func gatedActivation(up: Variable, _ kind: GatedActivation) -> Variable {
        tape.gatedActivation(gate: self, up: up, kind)
    }
}
