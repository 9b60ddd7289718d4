/// What the layers of a graph tell the symmetry catalogue about themselves: which slices of
/// which parameters write, read or follow each space of units, what happens to the units in
/// between, and the attention and gated-MLP blocks with their own groups.
///
/// The facts live here, next to the layers that state them; the rules that turn them into
/// symmetries live in the catalogue (NoetherSymmetry), which never reads a parameter name.
public struct SymmetryStructure: Sendable {
    public internal(set) var spaces: [UnitSpace] = []
    /// In the order the catalogue lists them: a space where it was created, a block where it was built.
    public internal(set) var entries: [Entry] = []
    /// Listed after every entry (DCS gates; the catalogue adds the output's translation last).
    public internal(set) var late: [Entry] = []
    /// The space of the model's outputs.
    public internal(set) var output: Int?

    public enum Entry: Sendable {
        case space(Int)
        case attention(AttentionStructure)
        case gatedMLP(GatedMLPStructure)
        case gate(GateStructure)
    }
}

/// How a slice relates to the units of a space.
public enum SliceRole: String, Sendable, Codable {
    /// Produces unit u (a row of a weight, an entry of a bias): scaled by c, rotated by M.
    case writer
    /// Consumes unit u (a column of the next weight): scaled by 1/c, rotated by M⁻ᵀ.
    case reader
    /// Moves with a permutation of the units and nothing else (norm gains and biases,
    /// running statistics, per-neuron DCS gates).
    case follower
}

/// One slice with its role.
public struct RoledSlice: Hashable, Sendable {
    public let slice: UnitSlice
    public let role: SliceRole
    /// A full linear map of the units' inputs or outputs (a weight's rows or columns), as opposed
    /// to a diagonal one (a norm gain): only full maps can absorb a rotation.
    public let isFull: Bool
    /// A writer whose entries may all be shifted by one constant without changing the outputs'
    /// softmax (weights and biases of the last layer, not tied or gated ones).
    public let isTranslatable: Bool
    /// A read made inside a residual branch that adds back into the same space.
    public let isInner: Bool
    /// What the parameter is (a weight, a bias, a gain …).
    public let parameterRole: ParameterRole?
    /// Where in the walk it was recorded: (layer ordinal, order within the layer).
    let order: [Int]
}

/// A segment of a space: the units between the writers that produce them and the readers (or
/// the normalisation) that consume them, with the element-wise operations in between.
public struct UnitSegment: Sendable {
    /// The layer the segment's units are named after.
    public let label: String
    public internal(set) var writers: [RoledSlice] = []
    public internal(set) var readers: [RoledSlice] = []
    public internal(set) var equivariance: Equivariance = .all
    /// Set when a normalisation consumes the segment: which one.
    public internal(set) var normalisedBy: Normalisation?
}

/// The normalisations, for the scale symmetries of the weights before them.
public enum Normalisation: String, Sendable {
    /// Per channel, over the batch: the weights and bias before it scale per channel, and the
    /// bias translates (exact in train mode).
    case batch
    /// Over the units of each sample: the weights before it scale together.
    case layer
    case rms
}

/// A space of units that permute together: a hidden layer, a chain of layers joined by
/// per-unit operations (a convolution, its BatchNorm, an activation), or a residual stream.
public struct UnitSpace: Sendable {
    public let label: String
    public let units: Int
    /// Every slice that moves with a permutation of the units, in walk order.
    public internal(set) var slices: [RoledSlice] = []
    public internal(set) var segments: [UnitSegment]
    /// What every operation applied to the space's values commutes with.
    public internal(set) var equivariance: Equivariance = .all
    /// Whether residual branches add into it.
    public internal(set) var isStream = false
    /// The name the residual layers gave the stream, if any.
    public internal(set) var streamLabel: String?
    /// Whether some layer treats its units in a way no symmetry here describes (grouped
    /// convolutions, flattening tokens): then the catalogue lists nothing for it.
    public internal(set) var isOpaque = false
    /// Whether its units are the features of tokens (`[S, D]` values), not neurons or channels.
    public internal(set) var holdsTokens = false

    init(label: String, units: Int) {
        self.label = label
        self.units = units
        segments = [UnitSegment(label: label)]
    }

    /// The slices sorted into walk order (layer by layer, each layer's own order).
    public var orderedSlices: [RoledSlice] { slices.sorted { $0.order.lexicographicallyPrecedes($1.order) } }
}

/// An attention block's projections, for the head permutations and per-head (or per-group)
/// double rotations.
public struct AttentionStructure: Sendable {
    public let label: String
    public let heads: Int
    public let keyValueHeads: Int
    public let headWidth: Int
    /// Rotary position encoding: the query/key rotation must commute with it.
    public let rotary: Bool
    /// Query, key and value projections' rows (weight, then bias if any), head-major.
    public let query: [UnitSlice]
    public let key: [UnitSlice]
    public let value: [UnitSlice]
    /// The output projection's columns.
    public let output: UnitSlice
    /// Rows from one head's first query (key, value) row to the next head's: the head width,
    /// or 3 × it where q, k and v are interleaved per head (GPT-NeoX's `query_key_value`).
    public let headStride: Int

    /// A block as a layer states it, or as weight-file inference reads it from a checkpoint;
    /// each slice's `offset` is where its first head starts (packed projections share a tensor).
    public init(label: String, heads: Int, keyValueHeads: Int, headWidth: Int, rotary: Bool,
                query: [UnitSlice], key: [UnitSlice], value: [UnitSlice], output: UnitSlice, headStride: Int? = nil) {
        (self.label, self.heads, self.keyValueHeads, self.headWidth, self.rotary) = (label, heads, keyValueHeads, headWidth, rotary)
        (self.query, self.key, self.value, self.output, self.headStride) = (query, key, value, output, headStride ?? headWidth)
    }
}

/// A gated MLP y = W_down(σ(W_gate x) ⊙ W_up x): its hidden units' permutation and rescaling.
public struct GatedMLPStructure: Sendable {
    public let label: String
    public let units: Int
    /// The gate projection's rows (they permute but do not scale).
    public let gate: [UnitSlice]
    public let up: [UnitSlice]
    public let down: UnitSlice

    public init(label: String, units: Int, gate: [UnitSlice], up: [UnitSlice], down: UnitSlice) {
        (self.label, self.units, self.gate, self.up, self.down) = (label, units, gate, up, down)
    }
}

/// A DCS gate v in v ⊙ (W x): scaling v by c and W's rows by 1/c leaves the layer unchanged.
public struct GateStructure: Sendable {
    public let label: String
    public let units: Int
    public let gate: UnitSlice
    public let weightRows: UnitSlice
}
