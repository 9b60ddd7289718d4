import NoetherNN

/// Infers every symmetry of the catalogue that a model's loss has by walking its layer graph:
/// each layer states which slices write, read or follow its units and what it does to them
/// (``SymmetryStructure``); the rules of DESIGN.md §3 turn those facts into symmetries.
///
/// - A space of hidden units (read after it is written): permutation of everything that moves
///   with the units; per segment between writers and readers, rescaling if every operation in
///   between is positively homogeneous, sign flip if odd, rotation if linear and every writer
///   and reader is a full matrix.
/// - Weights and bias before a normalisation: norm scale (per channel for BatchNorm, the whole
///   layer otherwise); BatchNorm also absorbs the bias before it (translation).
/// - A residual stream: one joint permutation. A stream of tokens also gets sign flips when
///   every operation on it is odd or RMSNorm (a signed permutation), and an orthogonal rotation
///   when, in addition, no norm has a gain (after folding the gains into the next weights).
///   Streams of neurons (residual MLPs, ResNets) are listed with their permutation only.
/// - Attention: head permutations (of key/value groups and of the heads within one),
///   query/key and value/output double rotations per head or per group — restricted to
///   RoPE's frequency pairs for query/key — and the key bias's translation.
/// - Gated MLPs: permutation and gated rescaling of the hidden units.
/// - DCS gates: a rescaling between each gate and its weights.
/// - Cross-entropy: the output logits translate.
public enum SymmetryCatalogue {
    public static func infer(_ spec: ModelSpec, loss: LossKind? = nil) throws(ModelSpecError) -> [SymmetrySpec] {
        infer(try Architecture(spec), loss: loss)
    }

    public static func infer(_ architecture: Architecture, loss: LossKind? = nil) -> [SymmetrySpec] {
        let structure = architecture.symmetryStructure
        var result: [SymmetrySpec] = []
        for entry in structure.entries + structure.late {
            switch entry {
            case .space(let index): result += unitSpace(structure.spaces[index])
            case .attention(let attention): result += attentionBlock(attention)
            case .gatedMLP(let mlp): result += gatedMLP(mlp)
            case .gate(let gate):
                result.append(SymmetrySpec(.rescaling, layer: gate.label, units: gate.units, incoming: [gate.gate], outgoing: [gate.weightRows],
                                           scope: .gate))
            }
        }
        if loss == .crossEntropy, let output = structure.output {
            let space = structure.spaces[output]
            let shifted = (space.segments.last?.writers ?? []).filter(\.isTranslatable).map(\.slice)
            if space.units > 1 && !shifted.isEmpty && !space.isOpaque {
                result.append(SymmetrySpec(.translation, layer: space.label, units: space.units, incoming: shifted, uniform: true, scope: .logits))
            }
        }
        return result
    }

    static func unitSpace(_ space: UnitSpace) -> [SymmetrySpec] {
        guard !space.isOpaque, space.units > 0 else { return [] }
        let ordered = space.orderedSlices
        let written = Set(ordered.filter { $0.role == .writer }.map(\.slice))
        // A reader that is also a writer (a tied embedding) is listed once, as a writer.
        let readers = ordered.filter { $0.role == .reader && !written.contains($0.slice) }
        guard ordered.contains(where: { $0.role == .reader }) else { return [] }
        let label = space.isStream ? (space.streamLabel ?? space.label) : space.label
        let scope: SymmetryScope = space.isStream && space.holdsTokens ? .residualStream : .units
        let moving = ordered.filter { $0.role != .reader || ($0.isInner && !written.contains($0.slice)) }.map(\.slice)
        var result = [SymmetrySpec(.permutation, layer: label, units: space.units, incoming: moving,
                                   outgoing: readers.filter { !$0.isInner }.map(\.slice), scope: scope)]
        if space.isStream {
            let writers = ordered.filter { $0.role == .writer }
            // Streams of neurons (residual MLPs, ResNets) keep their permutation only, as the
            // catalogue always listed them; token streams get DESIGN §3's signed permutation
            // and rotation.
            if space.holdsTokens, space.equivariance.contains(.signFlip) {
                result.append(SymmetrySpec(.signFlip, layer: label, units: space.units, incoming: writers.map(\.slice), outgoing: readers.map(\.slice),
                                           scope: scope))
            }
            if space.holdsTokens, space.equivariance.contains(.orthogonal), (writers + readers).allSatisfy(\.isFull) {
                result.append(SymmetrySpec(.residualStreamRotation, layer: label, units: space.units,
                                           incoming: writers.map(\.slice), outgoing: readers.map(\.slice), scope: scope))
            }
            for segment in space.segments where segment.normalisedBy == .batch { result += normScale(segment, units: space.units) }
            return result
        }
        for (index, segment) in space.segments.enumerated() {
            if segment.normalisedBy != nil {
                result += normScale(segment, units: space.units)
                continue
            }
            guard !segment.writers.isEmpty, !segment.readers.isEmpty else { continue }
            let segmentLabel = index == 0 ? space.label : segment.label
            let (incoming, outgoing) = (segment.writers.map(\.slice), segment.readers.filter { !written.contains($0.slice) }.map(\.slice))
            let equivariance = segment.equivariance
            if equivariance.contains(.positiveScaling) {
                result.append(SymmetrySpec(.rescaling, layer: segmentLabel, units: space.units, incoming: incoming, outgoing: outgoing))
            }
            if equivariance.contains(.signFlip) {
                result.append(SymmetrySpec(.signFlip, layer: segmentLabel, units: space.units, incoming: incoming, outgoing: outgoing))
            }
            if equivariance.contains(.generalLinear), (segment.writers + segment.readers).allSatisfy(\.isFull) {
                result.append(SymmetrySpec(.rotation, layer: segmentLabel, units: space.units, incoming: incoming, outgoing: outgoing))
            }
        }
        return result
    }

    /// The weights and bias before a normalisation scale freely; before BatchNorm the bias
    /// also translates (train mode).
    static func normScale(_ segment: UnitSegment, units: Int) -> [SymmetrySpec] {
        let full = segment.writers.filter(\.isFull).map(\.slice)
        guard !full.isEmpty, let kind = segment.normalisedBy else { return [] }
        switch kind {
        case .batch:
            var result = [SymmetrySpec(.normScale, layer: segment.label, units: units, incoming: full)]
            let biases = segment.writers.filter { $0.parameterRole == .bias }.map(\.slice)
            if !biases.isEmpty {
                result.append(SymmetrySpec(.translation, layer: segment.label, units: units, incoming: biases))
            }
            return result
        case .layer, .rms:
            let whole = full.map { UnitSlice($0.name, axis: $0.axis, offset: $0.offset, block: $0.block * units) }
            return [SymmetrySpec(.normScale, layer: segment.label, units: 1, incoming: whole)]
        }
    }

    /// The head permutations and per-head (or per-group) double rotations of an attention
    /// block; a slice's own offset is where its first head starts.
    public static func attentionBlock(_ a: AttentionStructure) -> [SymmetrySpec] {
        let (heads, groups, width, stride) = (a.heads, a.keyValueHeads, a.headWidth, a.headStride)
        let perGroup = heads / max(groups, 1)
        func slices(_ base: [UnitSlice], offset: Int = 0, block: Int = 1) -> [UnitSlice] {
            base.map { UnitSlice($0.name, axis: $0.axis, offset: $0.offset + offset, block: block) }
        }
        let output = [a.output]
        var result: [SymmetrySpec] = []
        // Whole heads permute as blocks of adjacent rows, which interleaved q/k/v are not.
        if stride == width && groups == heads {
            result.append(SymmetrySpec(.permutation, layer: "\(a.label).heads", units: heads,
                                       incoming: slices(a.query, block: width) + slices(a.key, block: width) + slices(a.value, block: width),
                                       outgoing: slices(output, block: width), scope: .heads(block: a.label)))
        } else if stride == width {
            result.append(SymmetrySpec(.permutation, layer: "\(a.label).groups", units: groups,
                                       incoming: slices(a.query, block: perGroup * width) + slices(a.key, block: width) + slices(a.value, block: width),
                                       outgoing: slices(output, block: perGroup * width), scope: .heads(block: a.label)))
            if perGroup > 1 {
                for g in 0..<groups {
                    result.append(SymmetrySpec(.permutation, layer: "\(a.label).group.\(g).heads", units: perGroup,
                                               incoming: slices(a.query, offset: g * perGroup * width, block: width),
                                               outgoing: slices(output, offset: g * perGroup * width, block: width),
                                               scope: .headsInGroup(block: a.label, group: g)))
                }
            }
        }
        let rotation: SymmetryKind = groups == heads ? .doubleRotation : .groupedDoubleRotation
        for g in 0..<groups {
            let members = (g * perGroup)..<((g + 1) * perGroup)
            let label = groups == heads ? "\(a.label).head.\(g)" : "\(a.label).group.\(g)"
            result.append(SymmetrySpec(
                a.rotary ? .ropeRotation : rotation, layer: "\(label).qk", units: width,
                incoming: members.flatMap { slices(a.query, offset: $0 * stride) }, outgoing: slices(a.key, offset: g * stride),
                scope: .head(block: a.label, index: g, pair: .queryKey)))
            result.append(SymmetrySpec(
                rotation, layer: "\(label).vo", units: width,
                incoming: slices(a.value, offset: g * stride), outgoing: members.flatMap { slices(output, offset: $0 * width) },
                scope: .head(block: a.label, index: g, pair: .valueOutput)))
        }
        // Adding any vector to the key bias shifts every score of a query by the same amount
        // (not under RoPE, which rotates the bias with the position).
        if !a.rotary, stride == width, a.key.count > 1, let bias = a.key.last {
            result.append(SymmetrySpec(.translation, layer: bias.name, units: groups * width, incoming: [bias], scope: .logits))
        }
        return result
    }

    public static func gatedMLP(_ mlp: GatedMLPStructure) -> [SymmetrySpec] {
        [SymmetrySpec(.permutation, layer: mlp.label, units: mlp.units, incoming: mlp.gate + mlp.up, outgoing: [mlp.down], scope: .gatedUnits),
         SymmetrySpec(.gatedRescaling, layer: mlp.label, units: mlp.units, incoming: mlp.up, outgoing: [mlp.down], scope: .gatedUnits)]
    }
}
