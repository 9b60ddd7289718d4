import NoetherNN

/// Chains of convolutions and linear layers outside transformer blocks: torchvision ResNet and
/// MobileNet blocks (BatchNorm after every conv, depthwise convs, squeeze-excitation),
/// `nn.Sequential` MLPs and CNNs.
///
/// A chain never leaves its block — the module up to the first index that has children
/// (`layer1.0`, `features.3`), or the parent of a plain `nn.Sequential` entry (`features`) —
/// so a block's last conv, which may feed a residual sum, is never chained to the next block,
/// and unrelated heads (a squeeze-excitation conv, a detection head) never claim one another.
extension InferenceTable {
    /// The block a module's chain stays in, and whether it is a plain `nn.Sequential` (whose
    /// order is its forward order).
    static func chainBlock(_ module: String) -> (name: String, sequential: Bool) {
        let parts = module.split(separator: ".").map(String.init)
        if let index = parts.indices.first(where: { Int(parts[$0]) != nil && $0 < parts.count - 1 }) {
            return (parts[...index].joined(separator: "."), false)
        }
        return (parts.dropLast().joined(separator: "."), parts.last.map { Int($0) != nil } ?? false)
    }

    /// The BatchNorm module that normalises a conv's output, by torchvision's names (`bnK` for
    /// `convK`, `P.(N+1)` for `P.N`) or as a suffix (`convK_BN`).
    func batchNorm(after conv: String) -> String? {
        let parent = Self.parent(conv), last = conv.split(separator: ".").last.map(String.init) ?? conv
        var candidates = ["\(conv)_BN", "\(conv)_bn", "\(conv).bn"]  // CREPE's conv1_BN
        if last.hasPrefix("conv") { candidates.append(Self.join(parent == conv ? "" : parent, "bn" + last.dropFirst(4))) }
        if let n = Int(last) { candidates.append(Self.join(parent == conv ? "" : parent, "\(n + 1)")) }
        return candidates.first { has("\($0).running_var") || (has("\($0).weight") && has("\($0).running_mean")) }
    }

    static func isSqueezeExcitation(_ module: String) -> Bool {
        let parts = module.split(separator: ".").map { $0.lowercased() }
        guard let last = parts.last else { return false }
        return ["fc1", "fc2", "conv_reduce", "conv_expand"].contains(last) || parts.dropLast().contains { $0 == "se" || $0.contains("squeeze") || $0.contains("excit") }
    }

    static func isTransposed(_ module: String) -> Bool {
        let lower = module.lowercased()
        return lower.contains("transpose") || lower.contains("deconv")
    }

    mutating func recogniseChains(allowChains: Bool) {
        let candidates = tensors.filter { t in
            t.isFloatingPoint && t.name.hasSuffix(".weight") && !isClaimed(t.name) && (t.shape.count == 2 || t.shape.count == 4)
        }.sorted { naturalOrder($0.name, $1.name) }
        var blocks: [String: [WeightInference.TensorInfo]] = [:]
        var order: [String] = []
        for t in candidates {
            let block = Self.chainBlock(String(t.name.dropLast(".weight".count))).name
            if blocks[block] == nil { order.append(block) }
            blocks[block, default: []].append(t)
        }
        if candidates.contains(where: { $0.name.contains(".downsample.") || ($0.name.hasPrefix("layer") && $0.name.contains(".conv1.")) }),
           candidates.contains(where: { $0.shape.count == 4 }) {
            note(family: "resnet")
        } else if candidates.contains(where: { $0.shape.count == 4 && $0.shape[1] == 1 && $0.name.hasPrefix("features.")
            && ($0.name.contains(".conv.") || $0.name.contains(".block.")) }) {
            note(family: "mobilenet")
        }
        let lastConvolution = candidates.last { $0.shape.count == 4 }
        let firstLinear = candidates.first { $0.shape.count == 2 }
        for block in order {
            let open = chain(blocks[block] ?? [], allowChains: allowChains)
            // The features of a plain nn.Sequential CNN, flattened into its first linear layer
            // (`features.*` → `classifier`).
            if let open, open.convolution, let last = lastConvolution, open.layer == String(last.name.dropLast(".weight".count)),
               Self.chainBlock(open.layer).sequential, let linear = firstLinear, linear.shape[1] % open.units == 0, allowChains {
                symmetries.append(SymmetrySpec(.permutation, layer: open.layer, units: open.units, incoming: open.incoming,
                                               outgoing: open.outgoing + [UnitSlice(linear.name, axis: 1, block: linear.shape[1] / open.units)]))
            }
        }
    }

    /// One block's layers in order: each conv or linear starts a space of units that the next
    /// layer reading as many inputs ends; BatchNorms, depthwise convs and squeeze-excitation
    /// convs follow the space they sit in.
    struct Space { var layer: String, units: Int, incoming: [UnitSlice], outgoing: [UnitSlice], convolution: Bool }

    private mutating func chain(_ layers: [WeightInference.TensorInfo], allowChains: Bool) -> Space? {
        var open: Space?
        var index = 0
        func module(_ t: WeightInference.TensorInfo) -> String { String(t.name.dropLast(".weight".count)) }
        while index < layers.count {
            let t = layers[index], name = module(t)
            let isConvolution = t.shape.count == 4
            let sequential = Self.chainBlock(name).sequential
            if isConvolution && Self.isTransposed(name) {
                matrix(name, kind: ConvolutionLayer.kind, role: "transposed", flags: ["ConvTranspose by name: stored [in, out, kh, kw]; not chained"])
                open = nil
                index += 1
                continue
            }
            let norm = isConvolution ? batchNorm(after: name) : nil
            // A shortcut branch (torchvision's `downsample`) runs beside the main path.
            if name.split(separator: ".").contains(where: { $0 == "downsample" || $0 == "shortcut" }) {
                matrix(name, kind: isConvolution ? ConvolutionLayer.kind : DenseLayer.kind, role: "shortcut")
                if let norm { self.norm(norm, kind: BatchNormLayer.kind) }
                index += 1
                continue
            }
            func own(_ units: Int) -> [UnitSlice] {
                [UnitSlice(t.name, axis: 0)] + (shapes["\(name).bias"] == [units] ? [UnitSlice("\(name).bias", axis: 0)] : [])
                    + (norm.map { n in ["weight", "bias"].filter { shapes["\(n).\($0)"] == [units] }.map { UnitSlice("\(n).\($0)", axis: 0) } } ?? [])
            }
            var flags: [String] = []
            // A squeeze-excitation pair (reduce, expand) has its own hidden units; it reads the
            // channels it gates and writes one gate per channel, so it follows their space (if
            // one is open) and never starts one.
            if isConvolution, Self.isSqueezeExcitation(name), index + 1 < layers.count, layers[index + 1].shape.count == 4,
               Self.isSqueezeExcitation(module(layers[index + 1])), layers[index + 1].shape[1] == t.shape[0], layers[index + 1].shape[0] == t.shape[1] {
                let expand = layers[index + 1], expandName = module(expand)
                matrix(name, kind: ConvolutionLayer.kind, role: "squeeze_excitation.reduce")
                matrix(expandName, kind: ConvolutionLayer.kind, role: "squeeze_excitation.expand")
                if allowChains {
                    symmetries.append(SymmetrySpec(.permutation, layer: name, units: t.shape[0], incoming: own(t.shape[0]),
                                                   outgoing: [UnitSlice(expand.name, axis: 1)]))
                }
                if var space = open, space.units == t.shape[1] {
                    space.outgoing.append(UnitSlice(t.name, axis: 1))
                    space.incoming += [UnitSlice(expand.name, axis: 0)] + (shapes["\(expandName).bias"] == [space.units] ? [UnitSlice("\(expandName).bias", axis: 0)] : [])
                    open = space
                } else {
                    open = nil
                }
                index += 2
                continue
            }
            if var space = open, allowChains {
                // A depthwise conv keeps each channel apart: it moves with the channels.
                if isConvolution, space.convolution, t.shape[0] == space.units, t.shape[1] == 1 {
                    matrix(name, kind: ConvolutionLayer.kind, role: "depthwise")
                    if let norm { self.norm(norm, kind: BatchNormLayer.kind) }
                    space.incoming += own(t.shape[0])
                    open = space
                    index += 1
                    continue
                }
                var block: Int?
                if t.shape[1] == space.units && isConvolution == space.convolution {
                    block = 1
                } else if space.convolution, !isConvolution, sequential, t.shape[1] % space.units == 0 {
                    block = t.shape[1] / space.units  // channels flattened into a linear layer
                } else if isConvolution, space.convolution, t.shape[0] == space.units {
                    flags.append("orientation ambiguous: [in, out, …] (ConvTranspose) or [out, in, …]; not chained")
                }
                if let block {
                    symmetries.append(SymmetrySpec(.permutation, layer: space.layer, units: space.units, incoming: space.incoming,
                                                   outgoing: space.outgoing + [UnitSlice(t.name, axis: 1, block: block)]))
                }
            }
            matrix(name, kind: isConvolution ? ConvolutionLayer.kind : DenseLayer.kind, recognised: isConvolution || layers.count > 1 || Self.isHead(name), flags: flags)
            if let norm { self.norm(norm, kind: BatchNormLayer.kind) }
            // A block's first depthwise conv reads the block's input: it starts no space.
            let depthwiseFirst = isConvolution && t.shape[1] == 1 && open == nil
            open = depthwiseFirst || !flags.isEmpty || t.shape[0] == 0 ? nil : Space(layer: name, units: t.shape[0], incoming: own(t.shape[0]), outgoing: [], convolution: isConvolution)
            index += 1
        }
        return open
    }
}
