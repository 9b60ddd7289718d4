import NoetherSymmetry

/// `noether analyze`: the symmetry state of a weights file, layer by layer.
public struct WeightAnalysisReport: Codable, Sendable {
    public struct ModelInfo: Codable, Sendable {
        public let path: String
        public let family: String
        public let tensors: Int
        public let parameters: Int
        public let heads: Int?
        public let keyValueHeads: Int?
        /// Heads given but no attention found, many unrecognised matrices.
        public let warnings: [String]
        public let residualStream: ResidualStream?

        enum CodingKeys: String, CodingKey {
            case path, family, tensors, parameters, heads, keyValueHeads = "kv_heads", warnings, residualStream = "residual_stream"
        }
    }

    /// The residual stream's gauge: the transformations of the stream that every reader and
    /// writer can absorb.
    public struct ResidualStream: Codable, Sendable {
        public let width: Int
        /// RMSNorm gains folded into the weights that read them (`--fold-norms`).
        public let normsFolded: Int
        /// `O(d)` once every RMSNorm gain is folded (a gain-free RMSNorm commutes with every
        /// rotation), else the discrete group the norms allow.
        public let gauge: String
        /// The gauge's dimension as a Lie group (d(d−1)/2 for O(d), 0 for a discrete group).
        public let gaugeDimension: Int

        enum CodingKeys: String, CodingKey { case width, normsFolded = "norms_folded", gauge, gaugeDimension = "gauge_dimension" }
    }

    public struct Head: Codable, Sendable {
        public let head: Int
        /// The key/value group the query head reads (grouped-query attention).
        public let group: Int
        public let qkRank: Int
        public let voRank: Int
        public let degreeOfSymmetry: Double
        /// RoPE models: the rank of each rotary frequency pair's part of W_Q^h W_K^gᵀ.
        public var ropePairRanks: [Int]?

        enum CodingKeys: String, CodingKey {
            case head, group, qkRank = "qk_rank", voRank = "vo_rank", degreeOfSymmetry = "degree_of_symmetry", ropePairRanks = "rope_pair_ranks"
        }
    }

    public struct Row: Codable, Sendable {
        public let name: String
        /// A layer kind of the model graph (`dense`, `conv2d`, `attention`, `gated_mlp`, …) or `tensor`.
        public let kind: String
        public let role: String?
        public let shape: [Int]
        /// `ok`, why the layer was skipped, or `non-finite` when a tensor holds NaN or infinity.
        public var status: String
        /// Every tensor of the file the row accounts for.
        public let tensors: [String]
        public let flags: [String]?
        public var rank: Int?
        public var ranks: [String: Int]?
        public var effectiveRank: Double?
        public var stableRank: Double?
        public var spectralNorm: Double?
        public var frobeniusNorm: Double?
        public var dead: Int?
        public var distinct: Int?
        public var signPaired: Int?
        public var degreeOfSymmetry: Double?
        public var keyValueHeads: Int?
        public var headWidth: Int?
        public var rotaryDimensions: Int?
        public var heads: [Head]?
        /// The query heads measured when `--sample-heads` drew a sample (`heads` holds only these).
        public var sampledHeads: [Int]?
        /// Every singular value, descending, when asked for (`--spectra`).
        public var singularValues: [Double]?

        public init(name: String, kind: String, role: String? = nil, shape: [Int], status: String, tensors: [String], flags: [String]? = nil) {
            (self.name, self.kind, self.role, self.shape, self.status, self.tensors, self.flags) = (name, kind, role, shape, status, tensors, flags)
        }

        enum CodingKeys: String, CodingKey {
            case name, kind, role, shape, status, tensors, flags, rank, ranks, effectiveRank = "effective_rank", stableRank = "stable_rank"
            case spectralNorm = "spectral_norm", frobeniusNorm = "frobenius_norm", dead, distinct, signPaired = "sign_paired"
            case degreeOfSymmetry = "degree_of_symmetry", keyValueHeads = "kv_heads", headWidth = "head_width"
            case rotaryDimensions = "rotary_dimensions", heads, sampledHeads = "sampled_heads", singularValues = "singular_values"
        }
    }

    public struct Summary: Codable, Sendable {
        public let layers: Int
        public let analysed: Int
        public let skipped: Int
        public let attentionLayers: Int
        public let headsAnalysed: Int
        /// Mean degree of symmetry over the rows that have one.
        public let meanDegreeOfSymmetry: Double?
        /// Mean over attention heads of their double-rotation degree of symmetry.
        public let attentionDegreeOfSymmetry: Double?
        public let seconds: Double

        enum CodingKeys: String, CodingKey {
            case layers, analysed, skipped, attentionLayers = "attention_layers", headsAnalysed = "heads_analysed"
            case meanDegreeOfSymmetry = "mean_degree_of_symmetry", attentionDegreeOfSymmetry = "attention_degree_of_symmetry", seconds
        }
    }

    /// What `--layers` and `--sample-heads` left out.
    public struct Sampling: Codable, Sendable {
        /// The `--layers` expression rows had to match.
        public let layers: String?
        public let rowsSelected: Int
        public let rowsTotal: Int
        /// Query heads measured per attention layer (`--sample-heads`), drawn with `seed`.
        public let headsPerLayer: Int?
        public let seed: UInt64?

        enum CodingKeys: String, CodingKey {
            case layers, rowsSelected = "rows_selected", rowsTotal = "rows_total", headsPerLayer = "heads_per_layer", seed
        }
    }

    public let model: ModelInfo
    public let thresholds: SymmetryThresholds
    public var layers: [Row]
    public let summary: Summary
    /// Nil when every row and every head was measured.
    public var sampling: Sampling?

    public init(model: ModelInfo, thresholds: SymmetryThresholds, layers: [Row], summary: Summary, sampling: Sampling? = nil) {
        (self.model, self.thresholds, self.layers, self.summary, self.sampling) = (model, thresholds, layers, summary, sampling)
    }
}
