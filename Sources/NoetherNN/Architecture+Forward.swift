import NoetherAutograd
import NoetherTensor

extension Architecture {
    /// Runs the model on a batch of flattened inputs `[N, inputCount]`.
    ///
    /// - Parameters:
    ///   - input: the batch, recorded on a tape.
    ///   - parameters: the parameters recorded on the same tape, in layout order.
    ///   - capture: called with each representation's index (into ``representationNames``)
    ///     and value as the pass reaches it, e.g. to read ∂ℓ/∂h after the backward pass.
    /// - Returns: the outputs `[N, outputCount]` (logits or predictions).
    public func forward<Scalar: TensorScalar>(
        _ input: Variable<Scalar>, parameters: [Variable<Scalar>],
        capture: ((Int, Variable<Scalar>) -> Void)? = nil
    ) -> Variable<Scalar> {
        precondition(parameters.count == layout.count, "\(parameters.count) parameters for a layout of \(layout.count)")
        var x = input
        for block in blocks {
            switch block {
            case .linear(let w, let b, let g):
                x = Self.dense(x, parameters, w, b, g)
            case .activation(let function):
                if function != .identity { x = x.map(function) }
            case .residual(let w, let b, let g, let function):
                x = x + Self.dense(x, parameters, w, b, g).map(function)
            case .convolution(let w, let b, let stride, let padding):
                x = x.conv2d(weight: parameters[w], bias: b.map { parameters[$0] }, stride: stride, padding: padding)
            case .pool(let maximum, let window):
                x = maximum ? x.maxPool2d(window: window) : x.avgPool2d(window: window)
            case .reshape(let trailing):
                x = x.reshaped(Self.batchShape(count: x.shape.count, trailing: trailing))
            case .encoder(let e):
                x = encoderBlock(x, e, parameters)
            case .meanOverTokens:
                x = x.mean(alongAxis: 1)
            case .capture(let index):
                capture?(index, x)
            }
        }
        return x
    }

    /// v ⊙ (W x) + b, or W x + b without a gate.
    static func dense<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ p: [Variable<Scalar>], _ w: Int, _ b: Int?, _ g: Int?) -> Variable<Scalar> {
        guard let g else { return x.linear(weight: p[w], bias: b.map { p[$0] }) }
        let gated = x.linear(weight: p[w]) * p[g]
        return b.map { gated + p[$0] } ?? gated
    }

    static func batchShape(count: Int, trailing: Shape) -> Shape {
        var shape = Shape(onesOfRank: trailing.rank + 1)
        shape[0] = count / max(trailing.count, 1)
        for axis in 0..<trailing.rank { shape[axis + 1] = trailing[axis] }
        return shape
    }

    /// Post-norm encoder block on `[N, S, D]`.
    private func encoderBlock<Scalar: TensorScalar>(_ x: Variable<Scalar>, _ e: EncoderBlockLayout, _ p: [Variable<Scalar>]) -> Variable<Scalar> {
        let (n, s, d, h) = (x.shape[0], x.shape[1], e.width, e.heads)
        let headWidth = d / h
        func heads(_ weight: Int, _ bias: Int) -> Variable<Scalar> {
            x.linear(weight: p[weight], bias: p[bias]).reshaped([n, s, h, headWidth]).permuted(e.splitHeads)
        }
        let (q, k, v) = (heads(e.query, e.queryBias), heads(e.key, e.keyBias), heads(e.value, e.valueBias))
        let scores = q.matmul(k, transposeOther: true) * Scalar(1 / Double(headWidth).squareRoot())
        let attended = scores.softmax().matmul(v).permuted(e.splitHeads).reshaped([n, s, d])
        let mixed = (x + attended.linear(weight: p[e.out], bias: p[e.outBias]))
            .layerNorm(gamma: p[e.norm1Gain], beta: p[e.norm1Bias], epsilon: Scalar(e.epsilon))
        let fed = mixed.linear(weight: p[e.feedForward1], bias: p[e.feedForward1Bias]).map(e.activation)
            .linear(weight: p[e.feedForward2], bias: p[e.feedForward2Bias])
        return (mixed + fed).layerNorm(gamma: p[e.norm2Gain], beta: p[e.norm2Bias], epsilon: Scalar(e.epsilon))
    }
}
