import NoetherAutograd
import NoetherTensor

/// Rewrites a compiled step sequence where adjacent steps have a fused kernel: a ReLU followed
/// directly by 2×2 max pooling with stride 2 (every CNN preset block) becomes one
/// ``ReLUMaxPoolStep``. Only adjacent steps fuse, so a representation captured between them
/// (a capture step sits there) keeps both steps; parameters, symmetry slices and
/// representations come from the layers and are untouched. Only the top-level sequence is
/// rewritten: the steps inside a residual branch run as built (no preset has the pair there).
enum StepFusion {
    static func fuse(_ steps: [any CompiledLayer]) -> [any CompiledLayer] {
        var fused: [any CompiledLayer] = []
        var i = 0
        while i < steps.count {
            if i + 1 < steps.count, let activation = steps[i] as? ActivationStep, activation.function == .relu,
               let pool = steps[i + 1] as? PoolStep, pool.maximum, pool.window == 2, (pool.stride ?? pool.window) == 2 {
                fused.append(ReLUMaxPoolStep())
                i += 2
            } else {
                fused.append(steps[i])
                i += 1
            }
        }
        return fused
    }
}

/// ReLU then 2×2 max pooling with stride 2, as one tape operation (same values and gradients).
struct ReLUMaxPoolStep: CompiledLayer {
    @_specialize(where Scalar == Float)
    func forward<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ pass: inout ForwardPass<Scalar>) -> Variable<Scalar> {
        x.reluMaxPool2x2()
    }
}
