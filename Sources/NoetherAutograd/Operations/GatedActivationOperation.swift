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

    /// The gate function as a kernel that keeps its derivative.
    var kept: KeptDerivativeActivation {
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
        // σ′(gate), kept from the forward loop when the gate needs a gradient.
        let derivative = output([needsGradient[gate.index] ? count : 0])
        let result = output(shape)
        nonisolated(unsafe) let (a, u, y) = (activation.unsafeBaseAddress, pointer(up.index), result.unsafeBaseAddress)
        if needsGradient[gate.index] {
            Kernels.apply(kind.kept, pointer(gate.index), a, derivative: derivative.unsafeBaseAddress, count: count)
        } else {
            Kernels.apply(kind.function, pointer(gate.index), a, count: count)
        }
        Parallel.forEachRange(count, work: count) { range in
            for i in range { y[i] = a[i] * u[i] }
        }
        return record(result, .gatedActivation(gate: gate.index, up: up.index, kind, activation: save(activation), derivative: save(derivative)),
                      needsGradient: needsGradient[gate.index] || needsGradient[up.index])
    }

    /// ∂up = gy ⊙ σ(gate); ∂gate = gy ⊙ up ⊙ σ′(gate), with σ′(gate) kept from the forward pass.
    func backwardGatedActivation(gate: Int, up: Int, _ kind: GatedActivation, activation: Int, derivative: Int, gradient gy: UnsafePointer<Scalar>) {
        let count = values[gate].count
        if let (du, accumulate) = gradientTarget(up) {
            Kernels.multiply(gradientOutput: gy, derivative: auxiliaryPointer(activation), gradientInput: du, count: count, accumulate: accumulate)
        }
        if let (dg, accumulate) = gradientTarget(gate) {
            // (gy ⊙ up) ⊙ σ′: gy ⊙ up is the upstream gradient of σ(gate).
            Kernels.multiply(gradientOutput: gy, derivative: auxiliaryPointer(derivative), by: pointer(up), gradientInput: dg,
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
