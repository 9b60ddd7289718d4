import NoetherTensor

/// The worst disagreement between reverse-mode gradients and central finite differences.
public struct GradientCheckResult: Sendable, CustomStringConvertible {
    /// max |analytic − numeric| / max(1, |numeric|) over every input element.
    public let maxError: Double
    /// The input and element where it occurred.
    public let worstInput: Int, worstElement: Int

    public var description: String { "max error \(maxError) at input \(worstInput)[\(worstElement)]" }
}

/// Compares the tape's gradients of `function` with central differences.
///
/// The output of `function` (any shape) is reduced to a scalar by a fixed random projection
/// ⟨f(x), R⟩, so every output element's vector–Jacobian product is exercised.
///
/// - Parameters:
///   - inputs: the values to differentiate with respect to.
///   - step: the finite-difference step.
///   - seed: seeds the projection R.
///   - function: builds the computation on a tape from the recorded inputs.
public func checkGradients<Scalar: TensorScalar>(
    of inputs: [Tensor<Scalar>], step: Scalar = 1e-6, seed: UInt64 = 7,
    _ function: (Tape<Scalar>, [Variable<Scalar>]) -> Variable<Scalar>
) -> GradientCheckResult {
    let tape = Tape<Scalar>()
    let variables = inputs.map { tape.parameter($0) }
    let output = function(tape, variables)
    var generator = RandomGenerator(seed: seed)
    let projection = Tensor<Scalar>.normal(output.shape, using: &generator)
    tape.backward(from: output, seed: projection)
    let analytic = variables.map { (tape.gradient(of: $0) ?? Tensor.zeros($0.shape)).scalars }

    func projected(_ values: [Tensor<Scalar>]) -> Double {
        let tape = Tape<Scalar>()
        let out = function(tape, values.map { tape.parameter($0) })
        return Double(out.value.dot(projection))
    }

    var worst = (error: 0.0, input: 0, element: 0)
    for (inputIndex, input) in inputs.enumerated() {
        for element in 0..<input.count {
            var plus = inputs, minus = inputs
            plus[inputIndex].withUnsafeMutableBufferPointer { $0[element] += step }
            minus[inputIndex].withUnsafeMutableBufferPointer { $0[element] -= step }
            let numeric = (projected(plus) - projected(minus)) / (2 * Double(step))
            let exact = Double(analytic[inputIndex][element])
            let error = abs(exact - numeric) / max(1, abs(numeric))
            if error > worst.error || error.isNaN { worst = (error.isNaN ? .infinity : error, inputIndex, element) }
        }
    }
    return GradientCheckResult(maxError: worst.error, worstInput: worst.input, worstElement: worst.element)
}
