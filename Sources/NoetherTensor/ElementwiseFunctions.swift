import RealModule

/// Element-wise functions with known derivatives: the activations of DESIGN.md and the
/// arithmetic the autograd tape needs.
public enum UnaryFunction: Hashable, Sendable, Codable {
    case identity, negate, exp, log, sqrt, square, abs, reciprocal
    case tanh, sigmoid, relu, gelu, sin, cos
    /// x ↦ x·σ(x) (SiLU, PyTorch's `nn.SiLU`; the gate of SwiGLU).
    case silu
    case leakyRelu(slope: Double)
    /// x ↦ x · c.
    case scale(Double)
    /// x ↦ x + c.
    case shift(Double)
    /// x ↦ xᵖ (x > 0 for non-integer p).
    case power(Double)
}

extension UnaryFunction {
    /// Rough cost per element relative to an addition, for deciding when to use threads.
    @inlinable
    public var cost: Int {
        switch self {
        case .identity, .negate, .square, .abs, .reciprocal, .relu, .leakyRelu, .scale, .shift, .sqrt: 1
        case .exp, .log, .tanh, .sigmoid, .gelu, .silu, .sin, .cos, .power: 16
        }
    }
}

/// Binary element-wise operations with numpy broadcasting.
public enum BinaryOperation: Hashable, Sendable {
    case add, subtract, multiply, divide
}

/// Pointer-level kernels shared by the eager tensor API and the autograd tape. Each writes every
/// element of its output, so outputs may come from recycled, uninitialised buffers.
public enum Kernels {
    /// y = f(x) over `count` elements (large arrays split across the cores).
    @inlinable
    public static func apply<T: TensorScalar>(
        _ function: UnaryFunction, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int
    ) {
        Parallel.forEachRange(count, work: count * function.cost) { range in
            applySerially(function, x + range.lowerBound, y + range.lowerBound, count: range.count)
        }
    }

    @inlinable
    static func applySerially<T: TensorScalar>(
        _ function: UnaryFunction, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>, count: Int
    ) {
        switch function {
        case .identity: y.update(from: x, count: count)
        case .negate: for i in 0..<count { y[i] = -x[i] }
        case .exp: for i in 0..<count { y[i] = T.exp(x[i]) }
        case .log: for i in 0..<count { y[i] = T.log(x[i]) }
        case .sqrt: for i in 0..<count { y[i] = x[i].squareRoot() }
        case .square: for i in 0..<count { y[i] = x[i] * x[i] }
        case .abs: for i in 0..<count { y[i] = Swift.abs(x[i]) }
        case .reciprocal: for i in 0..<count { y[i] = 1 / x[i] }
        case .tanh: for i in 0..<count { y[i] = T.tanh(x[i]) }
        case .sigmoid: for i in 0..<count { y[i] = sigmoid(x[i]) }
        case .relu: for i in 0..<count { y[i] = x[i] > 0 ? x[i] : 0 }
        case .gelu:
            let invSqrt2 = T(1) / T(2).squareRoot()
            for i in 0..<count { y[i] = x[i] * (1 + T.activationErf(x[i] * invSqrt2)) / 2 }
        case .silu: for i in 0..<count { y[i] = x[i] * T.activationSigmoid(x[i]) }
        case .sin: for i in 0..<count { y[i] = T.sin(x[i]) }
        case .cos: for i in 0..<count { y[i] = T.cos(x[i]) }
        case .leakyRelu(let slope):
            let s = T(slope)
            for i in 0..<count { y[i] = x[i] > 0 ? x[i] : s * x[i] }
        case .scale(let c):
            let s = T(c)
            for i in 0..<count { y[i] = x[i] * s }
        case .shift(let c):
            let s = T(c)
            for i in 0..<count { y[i] = x[i] + s }
        case .power(let p):
            let e = T(p)
            for i in 0..<count { y[i] = T.pow(x[i], e) }
        }
    }

    @inlinable
    static func sigmoid<T: TensorScalar>(_ x: T) -> T {
        // Written to never overflow exp for large |x|.
        if x >= 0 { return 1 / (1 + T.exp(-x)) }
        let e = T.exp(x)
        return e / (1 + e)
    }

    /// GELU′(v) = Φ(v) + v·φ(v).
    @inlinable @inline(__always)
    static func geluDerivative<T: TensorScalar>(_ v: T) -> T {
        let (invSqrt2, invSqrt2Pi): (T, T) = geluDerivativeConstants()
        return (1 + T.activationErf(v * invSqrt2)) / 2 + v * invSqrt2Pi * T.activationExp(-v * v / 2)
    }

    /// 1/√2 and 1/√(2π) as GELU′ uses them.
    @inlinable @inline(__always)
    static func geluDerivativeConstants<T: TensorScalar>() -> (T, T) { (0.7071067811865476, 0.3989422804014327) }

    /// SiLU′(v) = σ(v)·(1 + v·(1 − σ(v))).
    @inlinable @inline(__always)
    static func siluDerivative<T: TensorScalar>(_ v: T) -> T {
        let s = T.activationSigmoid(v)
        return s * (1 + v * (1 - s))
    }

    /// gx (+)= gy · f′(x), given x and y = f(x); `accumulate` adds into `gx` instead of writing.
    @inlinable
    public static func applyDerivative<T: TensorScalar>(
        _ function: UnaryFunction, x: UnsafePointer<T>, y: UnsafePointer<T>,
        gradientOutput gy: UnsafePointer<T>, gradientInput gx: UnsafeMutablePointer<T>,
        count: Int, accumulate: Bool
    ) {
        Parallel.forEachRange(count, work: count * function.cost) { range in
            let start = range.lowerBound
            applyDerivativeSerially(function, x: x + start, y: y + start, gradientOutput: gy + start, gradientInput: gx + start,
                                    count: range.count, accumulate: accumulate)
        }
    }

    @inlinable
    static func applyDerivativeSerially<T: TensorScalar>(
        _ function: UnaryFunction, x: UnsafePointer<T>, y: UnsafePointer<T>,
        gradientOutput gy: UnsafePointer<T>, gradientInput gx: UnsafeMutablePointer<T>,
        count: Int, accumulate: Bool
    ) {
        // Each case is a loop the compiler can vectorise; the `accumulate` branch is hoisted.
        @inline(__always)
        func emit(_ derivative: (Int) -> T) {
            if accumulate {
                for i in 0..<count { gx[i] += gy[i] * derivative(i) }
            } else {
                for i in 0..<count { gx[i] = gy[i] * derivative(i) }
            }
        }
        switch function {
        case .identity: emit { _ in 1 }
        case .negate: emit { _ in -1 }
        case .exp: emit { y[$0] }
        case .log: emit { 1 / x[$0] }
        case .sqrt: emit { 1 / (2 * y[$0]) }
        case .square: emit { 2 * x[$0] }
        case .abs: emit { x[$0] > 0 ? 1 : (x[$0] < 0 ? -1 : 0) }
        case .reciprocal: emit { -y[$0] * y[$0] }
        case .tanh: emit { 1 - y[$0] * y[$0] }
        case .sigmoid: emit { y[$0] * (1 - y[$0]) }
        case .relu: emit { x[$0] > 0 ? 1 : 0 }
        case .gelu:
            // Written out rather than through `emit`: a closure this large is not inlined, and
            // a call per element keeps the loop from vectorising.
            if accumulate {
                for i in 0..<count { gx[i] += gy[i] * geluDerivative(x[i]) }
            } else {
                for i in 0..<count { gx[i] = gy[i] * geluDerivative(x[i]) }
            }
        case .silu: emit { siluDerivative(x[$0]) }
        case .sin: emit { T.cos(x[$0]) }
        case .cos: emit { -T.sin(x[$0]) }
        case .leakyRelu(let slope):
            let s = T(slope)
            emit { x[$0] > 0 ? 1 : s }
        case .scale(let c):
            let s = T(c)
            emit { _ in s }
        case .shift: emit { _ in 1 }
        case .power(let p):
            let e = T(p)
            emit { T.pow(x[$0], e - 1) * e }
        }
    }

    /// out = a ∘ b with broadcasting; `out` has the broadcast shape.
    @inlinable
    public static func binary<T: TensorScalar>(
        _ operation: BinaryOperation,
        _ a: UnsafePointer<T>, _ aShape: Shape, _ b: UnsafePointer<T>, _ bShape: Shape,
        _ out: UnsafeMutablePointer<T>, _ outShape: Shape
    ) {
        if aShape == bShape {
            Parallel.forEachRange(outShape.count, work: outShape.count, minimumWork: 1 << 17) { range in
                let (a, b, out, n) = (a + range.lowerBound, b + range.lowerBound, out + range.lowerBound, range.count)
                switch operation {
                case .add: for i in 0..<n { out[i] = a[i] + b[i] }
                case .subtract: for i in 0..<n { out[i] = a[i] - b[i] }
                case .multiply: for i in 0..<n { out[i] = a[i] * b[i] }
                case .divide: for i in 0..<n { out[i] = a[i] / b[i] }
                }
            }
            return
        }
        let plan = BroadcastPlan(output: outShape, a: aShape, b: bShape)
        plan.forEachRow { o, ao, bo, length, sa, sb in
            let pa = a + ao, pb = b + bo, po = out + o
            switch operation {
            case .add: for j in 0..<length { po[j] = pa[j &* sa] + pb[j &* sb] }
            case .subtract: for j in 0..<length { po[j] = pa[j &* sa] - pb[j &* sb] }
            case .multiply: for j in 0..<length { po[j] = pa[j &* sa] * pb[j &* sb] }
            case .divide: for j in 0..<length { po[j] = pa[j &* sa] / pb[j &* sb] }
            }
        }
    }

    /// Vector–Jacobian product of `out = a ∘ b` for one operand: writes (or adds) into `ga`
    /// (shape of that operand) the gradient summed over broadcast axes.
    ///
    /// - Parameter forFirst: whether the gradient is for `a` (else for `b`).
    @inlinable
    public static func binaryGradient<T: TensorScalar>(
        _ operation: BinaryOperation, forFirst: Bool,
        a: UnsafePointer<T>, aShape: Shape, b: UnsafePointer<T>, bShape: Shape,
        gradientOutput g: UnsafePointer<T>, outShape: Shape,
        gradientInput ga: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        let targetShape = forFirst ? aShape : bShape
        // ∂out/∂a or ∂out/∂b as a function of the operand values at one output position.
        @inline(__always)
        func partial(_ va: T, _ vb: T) -> T {
            switch (operation, forFirst) {
            case (.add, _): return 1
            case (.subtract, true): return 1
            case (.subtract, false): return -1
            case (.multiply, true): return vb
            case (.multiply, false): return va
            case (.divide, true): return 1 / vb
            case (.divide, false): return -va / (vb * vb)
            }
        }
        if aShape == bShape {
            // Element-wise, so large tensors are split across the cores (same bits).
            let n = outShape.count
            Parallel.forEachRange(n, work: n) { range in
                // One loop per partial, so each vectorises (a switch per element would not).
                @inline(__always)
                func emit(_ partial: (Int) -> T) {
                    if accumulate {
                        for i in range { ga[i] += g[i] * partial(i) }
                    } else {
                        for i in range { ga[i] = g[i] * partial(i) }
                    }
                }
                switch (operation, forFirst) {
                case (.add, _), (.subtract, true): emit { _ in 1 }
                case (.subtract, false): emit { _ in -1 }
                case (.multiply, true): emit { b[$0] }
                case (.multiply, false): emit { a[$0] }
                case (.divide, true): emit { 1 / b[$0] }
                case (.divide, false): emit { -a[$0] / (b[$0] * b[$0]) }
                }
            }
            return
        }
        if !accumulate { ga.update(repeating: 0, count: targetShape.count) }
        let plan = BroadcastPlan(output: outShape, a: aShape, b: bShape)
        plan.forEachRow { o, ao, bo, length, sa, sb in
            let pa = a + ao, pb = b + bo, pg = g + o
            let (target, stride) = forFirst ? (ga + ao, sa) : (ga + bo, sb)
            for j in 0..<length { target[j &* stride] += pg[j] * partial(pa[j &* sa], pb[j &* sb]) }
        }
    }

    /// out = Σ over the axes where `shape` broadcasts to `from`: reduces a gradient of the
    /// broadcast shape back to an operand's shape.
    @inlinable
    public static func sum<T: TensorScalar>(
        _ x: UnsafePointer<T>, shape from: Shape, to shape: Shape,
        _ out: UnsafeMutablePointer<T>, accumulate: Bool
    ) {
        if from == shape {
            let n = from.count
            if accumulate { for i in 0..<n { out[i] += x[i] } } else { out.update(from: x, count: n) }
            return
        }
        if !accumulate { out.update(repeating: 0, count: shape.count) }
        let plan = BroadcastPlan(output: from, a: shape, b: shape)
        plan.forEachRow { o, ao, _, length, sa, _ in
            let px = x + o, po = out + ao
            if sa == 0 {
                var total: T = 0
                for j in 0..<length { total += px[j] }
                po[0] += total
            } else {
                for j in 0..<length { po[j &* sa] += px[j] }
            }
        }
    }
}
