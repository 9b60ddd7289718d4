import NoetherTensor

/// Builds a graph layer by layer: each layer kind declares its parameters, appends its forward
/// step and states its symmetry slices through this value. Layer kinds never see the others.
public struct GraphBuilder {
    public private(set) var layout: [ParameterDescriptor] = []
    public private(set) var representations: [String] = []
    var steps: [any CompiledLayer] = []
    var structure = SymmetryStructure()
    var value: GraphValue
    /// The vocabulary of the token ids the model reads, when its input is tokens.
    public private(set) var inputVocabulary: Int?
    /// Output rows per sample: 1, or the number of scored positions of a sequence model.
    public private(set) var outputsPerSample = 1
    /// The name of the layer being built: its parameters are `<name>.<suffix>`.
    public private(set) var name = ""
    private var ordinal = 0
    private var orderWithinLayer = 0
    /// Spaces a residual branch under construction adds back into: reads of them are inner.
    private var branchTargets: [Int] = []

    init(input shape: [Int]) {
        value = GraphValue(shape: shape)
    }

    // MARK: The value

    /// The shape of one sample of the layer's input.
    public var shape: [Int] { value.shape }
    /// The number of units (features, token width, or channels) of the layer's input.
    public var units: Int { value.units }

    /// Sets the shape of the layer's output, keeping its space of units.
    public mutating func reshape(to shape: [Int]) { value.shape = shape }

    /// The layer reads the model's input as token ids in `0..<vocabulary`.
    public mutating func readTokens(vocabulary: Int) {
        if value.space == nil && inputVocabulary == nil { inputVocabulary = vocabulary }
    }

    /// The output becomes one row per scored position.
    mutating func scorePositions(_ count: Int) { outputsPerSample = count }

    /// Flattens `[C, H, W]` maps to `[C·H·W]`: each channel now owns a block of H·W features.
    mutating func flattenChannels() {
        guard value.shape.count == 3 else {
            if value.shape.count == 2 { markOpaque() }
            value.shape = [value.shape.reduce(1, *)]
            return
        }
        value.block *= value.shape[1] * value.shape[2]
        value.shape = [value.shape.reduce(1, *)]
    }

    // MARK: Parameters and steps

    /// Declares a parameter `<layer name>.<suffix>` and returns its position.
    public mutating func parameter(_ suffix: String, shape: Shape, role: ParameterRole, fanIn: Int,
                                   standardDeviation: Double? = nil) -> Int {
        layout.append(ParameterDescriptor(name: qualified(suffix), shape: shape, role: role, fanIn: fanIn,
                                          fixedStandardDeviation: standardDeviation))
        return layout.count - 1
    }

    /// The full name of one of this layer's parameters.
    public func qualified(_ suffix: String) -> String { name.isEmpty ? suffix : "\(name).\(suffix)" }

    /// Appends a forward step.
    public mutating func append(_ step: any CompiledLayer) { steps.append(step) }

    /// Marks the current value as a representation the forward pass can capture.
    mutating func capture(_ representation: String) {
        representations.append(representation)
        steps.append(CaptureStep(index: representations.count - 1))
    }

    /// Builds `layers` in order and returns their steps (for branches), leaving the value at their output.
    mutating func buildSequence(_ layers: [GraphLayer]) throws(ModelSpecError) -> [any CompiledLayer] {
        let saved = steps
        steps = []
        for layer in layers { try build(layer) }
        defer { steps = saved }
        return steps
    }

    /// Builds one layer under its name.
    mutating func build(_ layer: GraphLayer) throws(ModelSpecError) {
        let outer = name
        name = layer.name
        ordinal += 1
        orderWithinLayer = 0
        try layer.spec.build(into: &self)
        if let space = value.space, value.shape.count == 2 { structure.spaces[space].holdsTokens = true }
        name = outer
        if let representation = layer.capture { capture(representation) }
    }

    // MARK: Symmetry slices

    private func role(of parameter: String) -> ParameterRole? { layout.last { $0.name == parameter }?.role }

    /// The walk order of the next slice: this layer's ordinal, then `position` or the next free one.
    private mutating func next(at position: Int? = nil) -> [Int] {
        orderWithinLayer += 1
        return [ordinal, position ?? orderWithinLayer]
    }

    /// This layer reads the current units through `parameter`'s entries along `axis` (a
    /// weight's columns): they are the contravariant side of the units' symmetries.
    ///
    /// - Parameter position: where the slice goes among this layer's slices (by default, after
    ///   those stated before it).
    public mutating func read(_ parameter: String, axis: Int, isFull: Bool = true, at position: Int? = nil) {
        guard let space = value.space else { return }
        let slice = RoledSlice(slice: UnitSlice(qualified(parameter), axis: axis, block: value.block), role: .reader,
                               isFull: isFull, isTranslatable: false, isInner: branchTargets.contains(space),
                               parameterRole: role(of: qualified(parameter)), order: next(at: position))
        structure.spaces[space].slices.append(slice)
        let segment = structure.spaces[space].segments.count - 1
        structure.spaces[space].segments[segment].readers.append(slice)
    }

    /// Reads the current units through a parameter that another layer declared (a tied
    /// embedding), given by its full name.
    public mutating func read(fullName: String, axis: Int) {
        let saved = name
        name = ""
        read(fullName, axis: axis)
        name = saved
    }

    /// A writer of new units: `parameter`'s entries along `axis`.
    public struct Writer {
        let parameter: String
        let axis: Int
        let isFull: Bool
        let isTranslatable: Bool
        let offset: Int
        let block: Int
        let qualifiedByLayer: Bool

        /// - Parameters:
        ///   - isFull: a full linear map (a weight's rows), not a per-unit one.
        ///   - isTranslatable: a shift of every entry by one constant moves all outputs alike.
        public init(_ parameter: String, axis: Int, isFull: Bool = true, isTranslatable: Bool = true,
                    offset: Int = 0, block: Int = 1) {
            (self.parameter, self.axis, self.isFull, self.isTranslatable) = (parameter, axis, isFull, isTranslatable)
            (self.offset, self.block, qualifiedByLayer) = (offset, block, true)
        }

        /// A parameter of another layer, by its full name (a tied embedding).
        public init(fullName: String, axis: Int, isTranslatable: Bool) {
            (parameter, self.axis, isFull, self.isTranslatable) = (fullName, axis, true, isTranslatable)
            (offset, block, qualifiedByLayer) = (0, 1, false)
        }
    }

    /// This layer writes `units` fresh units (a dense layer's outputs, a convolution's
    /// channels): the value now lives in a new space named after the layer.
    public mutating func writeNewUnits(_ units: Int, by writers: [Writer]) {
        structure.spaces.append(UnitSpace(label: name, units: units))
        let space = structure.spaces.count - 1
        structure.entries.append(.space(space))
        value.space = space
        value.block = 1
        for writer in writers { addWriter(writer) }
    }

    /// This layer writes into the current units without creating new ones (learned positions
    /// or a class token added into the stream).
    public mutating func writeIntoCurrentUnits(by writers: [Writer]) {
        guard value.space != nil else { return }
        for writer in writers { addWriter(writer) }
    }

    private mutating func addWriter(_ writer: Writer) {
        guard let space = value.space else { return }
        let name = writer.qualifiedByLayer ? qualified(writer.parameter) : writer.parameter
        let slice = RoledSlice(slice: UnitSlice(name, axis: writer.axis, offset: writer.offset, block: writer.block), role: .writer,
                               isFull: writer.isFull, isTranslatable: writer.isTranslatable, isInner: false,
                               parameterRole: role(of: name), order: next())
        structure.spaces[space].slices.append(slice)
        let segment = structure.spaces[space].segments.count - 1
        structure.spaces[space].segments[segment].writers.append(slice)
    }

    /// A parameter that moves with a permutation of the current units and nothing else.
    public mutating func follow(_ parameter: String, axis: Int) {
        guard let space = value.space else { return }
        structure.spaces[space].slices.append(RoledSlice(slice: UnitSlice(qualified(parameter), axis: axis), role: .follower,
                                                         isFull: false, isTranslatable: false, isInner: false,
                                                         parameterRole: role(of: qualified(parameter)), order: next()))
    }

    /// An element-wise operation on the current units that commutes with `equivariance`.
    public mutating func applyElementwise(_ equivariance: Equivariance) {
        guard let space = value.space else { return }
        structure.spaces[space].equivariance.formIntersection(equivariance)
        let segment = structure.spaces[space].segments.count - 1
        structure.spaces[space].segments[segment].equivariance.formIntersection(equivariance)
    }

    /// A normalisation of the current units: it ends the segment before it (whose weights it
    /// makes scale-free) and its gain and bias, following the units, write the next segment.
    public mutating func normalise(_ kind: Normalisation, gain: String?, bias: String?, statistics: [String] = []) {
        guard let space = value.space else { return }
        let equivariance: Equivariance = switch kind {
        case .batch, .layer: .permutation
        case .rms: gain == nil ? [.permutation, .signFlip, .orthogonal] : [.permutation, .signFlip]
        }
        structure.spaces[space].equivariance.formIntersection(equivariance)
        let last = structure.spaces[space].segments.count - 1
        structure.spaces[space].segments[last].normalisedBy = kind
        structure.spaces[space].segments.append(UnitSegment(label: name))
        for parameter in [gain, bias].compactMap({ $0 }) + statistics { follow(parameter, axis: 0) }
        for parameter in [gain, bias].compactMap({ $0 }) {
            let slice = RoledSlice(slice: UnitSlice(qualified(parameter), axis: 0), role: .writer, isFull: false,
                                   isTranslatable: false, isInner: false, parameterRole: role(of: qualified(parameter)), order: next())
            structure.spaces[space].segments[last + 1].writers.append(slice)
        }
    }

    /// Units this layer treats in a way no symmetry describes: nothing is listed for them.
    public mutating func markOpaque() {
        guard let space = value.space else { return }
        structure.spaces[space].isOpaque = true
    }

    /// Records an attention block's projections.
    public mutating func addAttention(_ attention: AttentionStructure) { structure.entries.append(.attention(attention)) }
    /// Records a gated MLP's projections.
    public mutating func addGatedMLP(_ mlp: GatedMLPStructure) { structure.entries.append(.gatedMLP(mlp)) }
    /// Records a DCS gate (listed after the layers).
    public mutating func addGate(_ gate: GateStructure) { structure.late.append(.gate(gate)) }

    // MARK: Residual branches

    /// Builds `x + branch(x)` (or `shortcut(x) + branch(x)`) and joins the branch's output
    /// units with the stream's.
    mutating func residual(branch: [GraphLayer], shortcut: [GraphLayer]?, stream: String?) throws(ModelSpecError)
        -> (branch: [any CompiledLayer], shortcut: [any CompiledLayer]?) {
        let input = value
        var shortcutSteps: [any CompiledLayer]?
        if let shortcut {
            shortcutSteps = try buildSequence(shortcut)
        }
        let target = value
        value = input
        if shortcut == nil, let space = input.space { branchTargets.append(space) }
        let branchSteps = try buildSequence(branch)
        if shortcut == nil, input.space != nil { branchTargets.removeLast() }
        guard value.shape == target.shape else {
            throw ModelSpecError("residual '\(name)': the branch gives \(value.shape) per sample but the stream is \(target.shape)")
        }
        join(value, into: target, label: stream)
        return (branchSteps, shortcutSteps)
    }

    /// Adds `source`'s units into `target`'s: they become one residual stream.
    private mutating func join(_ source: GraphValue, into target: GraphValue, label: String?) {
        value = target
        guard let into = target.space else { return }
        structure.spaces[into].isStream = true
        if structure.spaces[into].streamLabel == nil { structure.spaces[into].streamLabel = label }
        guard let from = source.space, from != into else { return }
        let moved = structure.spaces[from]
        structure.spaces[into].slices += moved.slices
        structure.spaces[into].equivariance.formIntersection(moved.equivariance)
        structure.spaces[into].isOpaque = structure.spaces[into].isOpaque || moved.isOpaque
        // The source's last segment adds into the stream's; its earlier ones (before a norm) stay apart.
        var segments = moved.segments
        let last = segments.removeLast()
        let current = structure.spaces[into].segments.count - 1
        structure.spaces[into].segments[current].writers += last.writers
        structure.spaces[into].segments[current].readers += last.readers
        structure.spaces[into].segments[current].equivariance.formIntersection(last.equivariance)
        structure.spaces[into].segments.insert(contentsOf: segments, at: current)
        structure.spaces[from] = UnitSpace(label: moved.label, units: 0)
        structure.spaces[from].isOpaque = true
        structure.entries.removeAll { if case .space(from) = $0 { true } else { false } }
    }

    // MARK: Finishing

    mutating func finish() -> SymmetryStructure {
        structure.output = value.space
        return structure
    }
}
