import NoetherNN

/// The tensors of a file while recognisers claim them: rows found so far, the symmetries they
/// state, and which tensors no row accounts for yet.
struct InferenceTable {
    let tensors: [WeightInference.TensorInfo]
    let hints: WeightInference.Hints
    private(set) var shapes: [String: [Int]] = [:]
    /// Every tensor's name, floating-point or not.
    private(set) var allNames = Set<String>()
    private(set) var claimed = Set<String>()
    var layers: [InferredLayer] = []
    var symmetries: [SymmetrySpec] = []
    var families: [String] = []
    var folds: [NormFold] = []
    var residualWidth: Int?

    init(tensors: [WeightInference.TensorInfo], hints: WeightInference.Hints) {
        self.tensors = tensors
        self.hints = hints
        for t in tensors where t.isFloatingPoint { shapes[t.name] = t.shape }
        allNames = Set(tensors.map(\.name))
    }

    func has(_ name: String) -> Bool { shapes[name] != nil }
    func isClaimed(_ name: String) -> Bool { claimed.contains(name) }

    /// The weight of a module: `<module>.weight` (or a bare name, as Paddle exports write them).
    func weightName(_ module: String) -> String? {
        if has("\(module).weight") { return "\(module).weight" }
        return nil
    }

    mutating func note(family: String) {
        if !families.contains(family) { families.append(family) }
    }

    /// Adds a row and claims its tensors.
    mutating func add(_ layer: InferredLayer) {
        layers.append(layer)
        claimed.formUnion(layer.tensors)
    }

    /// A row for a module's weight matrix (and its bias), analysed spectrally.
    @discardableResult
    mutating func matrix(_ module: String, kind: String = DenseLayer.kind, role: String? = nil, transposed: Bool = false,
                         recognised: Bool = true, flags: [String] = []) -> Bool {
        guard let weight = weightName(module), let shape = shapes[weight], !claimed.contains(weight) else { return false }
        let tensors = [weight] + (has("\(module).bias") && !claimed.contains("\(module).bias") ? ["\(module).bias"] : [])
        add(InferredLayer(name: module, kind: kind, role: role, weight: weight, shape: shape, transposed: transposed,
                          tensors: tensors, recognised: recognised, flags: flags))
        return true
    }

    /// A row for a normalisation module's parameters (gain, bias, running statistics).
    @discardableResult
    mutating func norm(_ module: String, kind: String) -> Bool {
        let names = ["weight", "bias", "gamma", "beta", "running_mean", "running_var", "num_batches_tracked"].map { "\(module).\($0)" }
        let present = names.filter { allNames.contains($0) && !claimed.contains($0) }
        guard let first = present.first else { return false }
        add(InferredLayer(name: module, kind: kind, weight: nil, shape: shapes[first] ?? [], status: "skipped: normalisation parameters have no matrix to analyse",
                          tensors: present))
        return true
    }

    /// A row for a parameter that is not a matrix of a layer's units (layer scale, class token, …).
    mutating func vector(_ name: String, kind: String, reason: String) {
        guard has(name), !claimed.contains(name) else { return }
        add(InferredLayer(name: name, kind: kind, weight: nil, shape: shapes[name] ?? [], status: "skipped: \(reason)", tensors: [name]))
    }

    /// A hidden layer of units between two weights: rows (or Conv1D columns) of `up` and its
    /// bias, columns (rows) of `down`. Their permutation holds for any element-wise activation.
    mutating func hiddenUnits(_ up: String, _ down: String, transposed: Bool) {
        guard let upWeight = weightName(up), let downWeight = weightName(down), let shape = shapes[upWeight], shape.count == 2,
              let downShape = shapes[downWeight], downShape.count == 2, downShape[transposed ? 0 : 1] == shape[transposed ? 1 : 0] else { return }
        let units = transposed ? shape[1] : shape[0]
        let incoming = [UnitSlice(upWeight, axis: transposed ? 1 : 0)] + (shapes["\(up).bias"] == [units] ? [UnitSlice("\(up).bias", axis: 0)] : [])
        symmetries.append(SymmetrySpec(.permutation, layer: up, units: units, incoming: incoming,
                                       outgoing: [UnitSlice(downWeight, axis: transposed ? 0 : 1)]))
    }
}
