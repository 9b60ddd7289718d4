import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func unary(_ function: UnaryFunction, _ x: Variable<Scalar>) -> Variable<Scalar> {
        let shape = x.shape
        let result = output(shape)
        // GELU and SiLU keep f′(x) from the forward loop when a gradient will be needed.
        if needsGradient[x.index], let kept = KeptDerivativeActivation(function) {
            let derivative = output(shape)
            Kernels.apply(kept, pointer(x.index), result.unsafeBaseAddress, derivative: derivative.unsafeBaseAddress, count: shape.count)
            return record(result, .keptDerivative(input: x.index, derivative: save(derivative)), needsGradient: true)
        }
        Kernels.apply(function, pointer(x.index), result.unsafeBaseAddress, count: shape.count)
        return record(result, .unary(function, input: x.index), needsGradient: needsGradient[x.index])
    }

    func backwardKeptDerivative(input: Int, derivative: Int, gradient: UnsafePointer<Scalar>) {
        guard let (gx, accumulate) = gradientTarget(input) else { return }
        Kernels.multiply(gradientOutput: gradient, derivative: auxiliaryPointer(derivative), gradientInput: gx,
                         count: values[input].count, accumulate: accumulate)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func binary(_ operation: BinaryOperation, _ a: Variable<Scalar>, _ b: Variable<Scalar>) -> Variable<Scalar> {
        let (aShape, bShape) = (a.shape, b.shape)
        guard let shape = Shape.broadcast(aShape, bShape) else {
            preconditionFailure("shapes \(aShape) and \(bShape) do not broadcast")
        }
        let result = output(shape)
        Kernels.binary(operation, pointer(a.index), aShape, pointer(b.index), bShape, result.unsafeBaseAddress, shape)
        return record(result, .binary(operation, a.index, b.index),
                      needsGradient: needsGradient[a.index] || needsGradient[b.index])
    }

    func backwardUnary(_ function: UnaryFunction, input: Int, output: Int, gradient: UnsafePointer<Scalar>) {
        guard let (gx, accumulate) = gradientTarget(input) else { return }
        Kernels.applyDerivative(function, x: pointer(input), y: pointer(output), gradientOutput: gradient,
                                gradientInput: gx, count: values[input].count, accumulate: accumulate)
    }

    func backwardBinary(_ operation: BinaryOperation, _ a: Int, _ b: Int, output: Int, gradient: UnsafePointer<Scalar>) {
        let (aShape, bShape, outShape) = (values[a].shape, values[b].shape, values[output].shape)
        func propagate(to operand: Int, forFirst: Bool) {
            guard let (target, accumulate) = gradientTarget(operand) else { return }
            Kernels.binaryGradient(operation, forFirst: forFirst, a: pointer(a), aShape: aShape, b: pointer(b), bShape: bShape,
                                   gradientOutput: gradient, outShape: outShape, gradientInput: target, accumulate: accumulate)
        }
        propagate(to: a, forFirst: true)
        propagate(to: b, forFirst: false)
    }
}

extension Variable {
    /// Applies an element-wise function.
    @_specialize(where Scalar == Float)
    public func map(_ function: UnaryFunction) -> Variable { tape.unary(function, self) }

    public func relu() -> Variable { map(.relu) }
    public func leakyRelu(slope: Double = 0.01) -> Variable { map(.leakyRelu(slope: slope)) }
    public func tanh() -> Variable { map(.tanh) }
    public func gelu() -> Variable { map(.gelu) }
    public func silu() -> Variable { map(.silu) }
    public func sigmoid() -> Variable { map(.sigmoid) }
    public func sin() -> Variable { map(.sin) }
    public func exp() -> Variable { map(.exp) }
    public func log() -> Variable { map(.log) }
    public func squared() -> Variable { map(.square) }
    public func squareRoot() -> Variable { map(.sqrt) }

    public static func + (a: Variable, b: Variable) -> Variable { a.tape.binary(.add, a, b) }
    public static func - (a: Variable, b: Variable) -> Variable { a.tape.binary(.subtract, a, b) }
    public static func * (a: Variable, b: Variable) -> Variable { a.tape.binary(.multiply, a, b) }
    public static func / (a: Variable, b: Variable) -> Variable { a.tape.binary(.divide, a, b) }
    public static func + (a: Variable, b: Scalar) -> Variable { a.map(.shift(Double(b))) }
    public static func - (a: Variable, b: Scalar) -> Variable { a.map(.shift(-Double(b))) }
    public static func * (a: Variable, b: Scalar) -> Variable { a.map(.scale(Double(b))) }
    public static func * (a: Scalar, b: Variable) -> Variable { b.map(.scale(Double(a))) }
    public static func / (a: Variable, b: Scalar) -> Variable { a.map(.scale(1 / Double(b))) }
    public static prefix func - (a: Variable) -> Variable { a.map(.negate) }
}
