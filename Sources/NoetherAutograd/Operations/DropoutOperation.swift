import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func dropout(_ x: Variable<Scalar>, probability p: Double, using generator: inout RandomGenerator) -> Variable<Scalar> {
        let count = x.shape.count
        let mask = output(x.shape)
        let result = output(x.shape)
        let (m, input, y) = (mask.unsafeBaseAddress, pointer(x.index), result.unsafeBaseAddress)
        // p ≥ 1 drops everything (PyTorch returns zeros) rather than scaling by 1/0.
        let kept: Scalar = p < 1 ? Scalar(1 / (1 - p)) : 0
        for i in 0..<count { m[i] = generator.bernoulli(p) ? 0 : kept }
        for i in 0..<count { y[i] = input[i] * m[i] }
        return record(result, .dropout(input: x.index, mask: save(mask)), needsGradient: needsGradient[x.index])
    }

    func backwardDropout(input x: Int, mask: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let (count, m) = (values[x].count, auxiliaryPointer(mask))
        if accumulate { for i in 0..<count { dx[i] += g[i] * m[i] } } else { for i in 0..<count { dx[i] = g[i] * m[i] } }
    }
}

extension Variable {
    /// Inverted dropout (PyTorch's `nn.Dropout`): in training, each element is zeroed with
    /// probability p and the survivors are scaled by 1/(1 − p), so the expectation is unchanged;
    /// in evaluation it is the identity and records nothing.
    ///
    /// The mask comes from `generator`, one Bernoulli draw per element in row-major order, so a
    /// seed fixes it. A probability ≤ 0 (or NaN) is the identity; ≥ 1 zeroes everything.
    public func dropout(probability p: Double, training: Bool, using generator: inout RandomGenerator) -> Variable {
        guard training, p > 0 else { return self }
        return tape.dropout(self, probability: p, using: &generator)
    }
}
