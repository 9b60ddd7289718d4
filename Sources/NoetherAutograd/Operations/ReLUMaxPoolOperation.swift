import NoetherTensor

extension Tape {
    /// ReLU then 2×2 max pooling with stride 2, as one operation: ReLU's output is never
    /// written, and the backward pass writes the input gradient in one pass.
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func reluMaxPool2x2(_ x: Variable<Scalar>) -> Variable<Scalar> {
        let geometry: PoolingGeometry
        switch PoolingGeometry.of(input: x.shape, window: 2, stride: 2) {
        case .success(let g): geometry = g
        case .failure(let error): preconditionFailure(error.description)
        }
        let result = output(geometry.outputShape)
        let slot = indexBuffer(count: geometry.outputShape.count)
        indexBuffers[slot].withUnsafeMutableBufferPointer { argmax in
            Kernels.reluMaxPool2x2(pointer(x.index), geometry, result.unsafeBaseAddress, argmax: argmax.baseAddress!)
        }
        return record(result, .reluMaxPool2x2(input: x.index, geometry, argmax: slot), needsGradient: needsGradient[x.index])
    }

    func backwardReLUMaxPool(input x: Int, _ geometry: PoolingGeometry, argmax: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        indexBuffers[argmax].withUnsafeBufferPointer { positions in
            Kernels.reluMaxPool2x2Backward(gradientOutput: g, argmax: positions.baseAddress!, geometry, dx, accumulate: accumulate)
        }
    }
}

extension Variable {
    /// `map(.relu).maxPool2d(window: 2)` in one operation, with the same values and gradients.
    public func reluMaxPool2x2() -> Variable { tape.reluMaxPool2x2(self) }
}
