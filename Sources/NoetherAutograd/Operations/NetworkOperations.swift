import NoetherTensor

extension Tape {
    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func softmax(_ x: Variable<Scalar>, logarithm: Bool) -> Variable<Scalar> {
        let shape = x.shape
        let columns = shape.last
        let result = output(shape)
        Kernels.softmax(pointer(x.index), rows: columns == 0 ? 0 : shape.count / columns, columns: columns,
                        result.unsafeBaseAddress, logarithm: logarithm)
        return record(result, .softmax(input: x.index, logarithm: logarithm), needsGradient: needsGradient[x.index])
    }

    func backwardSoftmax(input x: Int, output: Int, logarithm: Bool, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        let shape = values[x].shape
        let columns = shape.last
        Kernels.softmaxBackward(output: pointer(output), gradientOutput: g, rows: columns == 0 ? 0 : shape.count / columns,
                                columns: columns, gradientInput: dx, logarithm: logarithm, accumulate: accumulate)
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func layerNorm(_ x: Variable<Scalar>, gamma: Variable<Scalar>?, beta: Variable<Scalar>?, epsilon: Scalar) -> Variable<Scalar> {
        let shape = x.shape
        let columns = shape.last
        precondition(gamma.map { $0.shape.count == columns } ?? true, "layerNorm: gamma does not match \(columns) features")
        precondition(beta.map { $0.shape.count == columns } ?? true, "layerNorm: beta does not match \(columns) features")
        let rows = columns == 0 ? 0 : shape.count / columns
        let result = output(shape)
        let statistics = output([2 * rows])
        let s = statistics.unsafeBaseAddress
        Kernels.layerNorm(pointer(x.index), gamma: gamma.map { pointer($0.index) }, beta: beta.map { pointer($0.index) },
                          rows: rows, columns: columns, epsilon: epsilon, result.unsafeBaseAddress,
                          mean: s, reciprocalDeviation: s + rows)
        let needs = needsGradient[x.index] || (gamma.map { needsGradient[$0.index] } ?? false)
            || (beta.map { needsGradient[$0.index] } ?? false)
        return record(result, .layerNorm(input: x.index, gamma: gamma?.index, beta: beta?.index, statistics: save(statistics)),
                      needsGradient: needs)
    }

    func backwardLayerNorm(input x: Int, gamma: Int?, beta: Int?, statistics: Int, gradient g: UnsafePointer<Scalar>) {
        let shape = values[x].shape
        let columns = shape.last
        let rows = columns == 0 ? 0 : shape.count / columns
        let s = auxiliaryPointer(statistics)
        Kernels.layerNormBackward(
            pointer(x), gamma: gamma.map { pointer($0) }, mean: s, reciprocalDeviation: s + rows,
            gradientOutput: g, rows: rows, columns: columns,
            gradientInput: gradientTarget(x), gradientGamma: gamma.flatMap { gradientTarget($0) },
            gradientBeta: beta.flatMap { gradientTarget($0) })
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func conv2d(_ x: Variable<Scalar>, weight: Variable<Scalar>, bias: Variable<Scalar>?, stride: Int, padding: Int) -> Variable<Scalar> {
        let geometry: ConvolutionGeometry
        switch ConvolutionGeometry.of(input: x.shape, weight: weight.shape, stride: stride, padding: padding) {
        case .success(let g): geometry = g
        case .failure(let error): preconditionFailure(error.description)
        }
        precondition(bias.map { $0.shape.count == geometry.outChannels } ?? true, "conv2d: bias does not match \(geometry.outChannels) channels")
        let columns = output([geometry.workspaceCount])
        let result = output(geometry.outputShape)
        if recordsMatrixProducts { matrixProducts.append(geometry.forwardProduct) }
        Kernels.conv2d(pointer(x.index), weight: pointer(weight.index), bias: bias.map { pointer($0.index) }, geometry,
                       columns: columns.unsafeBaseAddress, result.unsafeBaseAddress)
        let needs = needsGradient[x.index] || needsGradient[weight.index] || (bias.map { needsGradient[$0.index] } ?? false)
        return record(result, .conv2d(input: x.index, weight: weight.index, bias: bias?.index, geometry, columns: save(columns)),
                      needsGradient: needs)
    }

    func backwardConv2d(input x: Int, weight w: Int, bias b: Int?, _ geometry: ConvolutionGeometry, columns: Int, gradient g: UnsafePointer<Scalar>) {
        let gradientInput = gradientTarget(x)
        let gradientWeight = gradientTarget(w)
        let workspace = output([geometry.backwardWorkspaceCount])
        if recordsMatrixProducts {
            if gradientWeight != nil { matrixProducts.append(geometry.weightGradientProduct) }
            if gradientInput != nil { matrixProducts.append(geometry.inputGradientProduct) }
        }
        Kernels.conv2dBackward(
            gradientOutput: g, input: pointer(x), weight: pointer(w), geometry,
            columns: auxiliaryPointer(columns), workspace: workspace.unsafeBaseAddress,
            gradientInput: gradientInput, gradientWeight: gradientWeight, gradientBias: b.flatMap { gradientTarget($0) })
    }

    @_specialize(where Scalar == Float)
    @_specialize(where Scalar == Double)
    func pool(_ x: Variable<Scalar>, window: Int, stride: Int, maximum: Bool) -> Variable<Scalar> {
        let geometry: PoolingGeometry
        switch PoolingGeometry.of(input: x.shape, window: window, stride: stride) {
        case .success(let g): geometry = g
        case .failure(let error): preconditionFailure(error.description)
        }
        let result = output(geometry.outputShape)
        if maximum {
            let slot = indexBuffer(count: geometry.outputShape.count)
            indexBuffers[slot].withUnsafeMutableBufferPointer { argmax in
                Kernels.maxPool2d(pointer(x.index), geometry, result.unsafeBaseAddress, argmax: argmax.baseAddress!)
            }
            return record(result, .maxPool2d(input: x.index, geometry, argmax: slot), needsGradient: needsGradient[x.index])
        }
        Kernels.avgPool2d(pointer(x.index), geometry, result.unsafeBaseAddress)
        return record(result, .avgPool2d(input: x.index, geometry), needsGradient: needsGradient[x.index])
    }

    func backwardMaxPool(input x: Int, _ geometry: PoolingGeometry, argmax: Int, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        indexBuffers[argmax].withUnsafeBufferPointer { positions in
            Kernels.maxPool2dBackward(gradientOutput: g, argmax: positions.baseAddress!, geometry, dx, accumulate: accumulate)
        }
    }

    func backwardAvgPool(input x: Int, _ geometry: PoolingGeometry, gradient g: UnsafePointer<Scalar>) {
        guard let (dx, accumulate) = gradientTarget(x) else { return }
        Kernels.avgPool2dBackward(gradientOutput: g, geometry, dx, accumulate: accumulate)
    }
}

extension Variable {
    /// Softmax along the last axis.
    public func softmax() -> Variable { tape.softmax(self, logarithm: false) }
    /// Log-softmax along the last axis.
    public func logSoftmax() -> Variable { tape.softmax(self, logarithm: true) }

    /// Layer normalisation over the last axis with optional elementwise affine `gamma`, `beta`.
    public func layerNorm(gamma: Variable?, beta: Variable?, epsilon: Scalar = 1e-5) -> Variable {
        tape.layerNorm(self, gamma: gamma, beta: beta, epsilon: epsilon)
    }

    /// 2-D convolution of `[N, C, H, W]` with weight `[O, C, kH, kW]` and optional bias `[O]`.
    public func conv2d(weight: Variable, bias: Variable? = nil, stride: Int = 1, padding: Int = 0) -> Variable {
        tape.conv2d(self, weight: weight, bias: bias, stride: stride, padding: padding)
    }

    /// Max pooling with a square window (stride defaults to the window).
    public func maxPool2d(window: Int, stride: Int? = nil) -> Variable {
        tape.pool(self, window: window, stride: stride ?? window, maximum: true)
    }

    /// Average pooling with a square window (stride defaults to the window).
    public func avgPool2d(window: Int, stride: Int? = nil) -> Variable {
        tape.pool(self, window: window, stride: stride ?? window, maximum: false)
    }
}
