/// Activations whose derivative costs about as much as the function (GELU: an erf and an
/// exp; SiLU: an exp): a training step's forward pass computes f(x) and f′(x) in one loop and
/// keeps f′(x), so the backward pass is one multiplication instead of the function again.
public enum KeptDerivativeActivation: Sendable {
    case gelu, silu

    /// The activation `function` is, when it is one of these.
    @inlinable
    public init?(_ function: UnaryFunction) {
        switch function {
        case .gelu: self = .gelu
        case .silu: self = .silu
        default: return nil
        }
    }
}

extension Kernels {
    /// y = f(x) and d = f′(x) over `count` elements, bit for bit what ``apply(_:_:_:count:)``
    /// and ``applyDerivative(_:x:y:gradientOutput:gradientInput:count:accumulate:)`` compute
    /// (same expressions), in one pass split across the cores.
    @inlinable
    public static func apply<T: TensorScalar>(
        _ function: KeptDerivativeActivation, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>,
        derivative d: UnsafeMutablePointer<T>, count: Int
    ) {
        Parallel.forEachRange(count, work: count * 32) { range in
            let (x, y, d) = (x + range.lowerBound, y + range.lowerBound, d + range.lowerBound)
            switch function {
            case .gelu:
                // The forward and derivative loops scale by 1/√2 computed two ways, equal in
                // Float (one erf serves both) but an ulp apart in Double (two erfs, so each
                // result keeps its bits).
                let forwardScale = T(1) / T(2).squareRoot()
                let (invSqrt2, invSqrt2Pi): (T, T) = geluDerivativeConstants()
                if forwardScale == invSqrt2 {
                    for i in 0..<range.count {
                        let e = T.activationErf(x[i] * forwardScale)
                        y[i] = x[i] * (1 + e) / 2
                        d[i] = (1 + e) / 2 + x[i] * invSqrt2Pi * T.activationExp(-x[i] * x[i] / 2)
                    }
                } else {
                    for i in 0..<range.count {
                        y[i] = x[i] * (1 + T.activationErf(x[i] * forwardScale)) / 2
                        d[i] = geluDerivative(x[i])
                    }
                }
            case .silu:
                for i in 0..<range.count {
                    y[i] = x[i] * T.activationSigmoid(x[i])
                    d[i] = siluDerivative(x[i])
                }
            }
        }
    }

    /// gx (+)= gy ⊙ d ⊙ scale, with `scale` an optional third factor (nil for none), split
    /// across the cores: the backward pass of a kept derivative.
    @inlinable
    public static func multiply<T: TensorScalar>(
        gradientOutput gy: UnsafePointer<T>, derivative d: UnsafePointer<T>, by factor: UnsafePointer<T>? = nil,
        gradientInput gx: UnsafeMutablePointer<T>, count: Int, accumulate: Bool
    ) {
        Parallel.forEachRange(count, work: count * 2) { range in
            let (gy, d, gx) = (gy + range.lowerBound, d + range.lowerBound, gx + range.lowerBound)
            switch (factor.map { $0 + range.lowerBound }, accumulate) {
            case (nil, false): for i in 0..<range.count { gx[i] = gy[i] * d[i] }
            case (nil, true): for i in 0..<range.count { gx[i] += gy[i] * d[i] }
            case (let f?, false): for i in 0..<range.count { gx[i] = gy[i] * f[i] * d[i] }
            case (let f?, true): for i in 0..<range.count { gx[i] += gy[i] * f[i] * d[i] }
            }
        }
    }
}
