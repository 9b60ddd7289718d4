/// Which data to train and test on, as a config names it.
///
/// Synthetic kinds (`staircase`, `leap`, `teacher_student`, `low_rank`, `gaussian_mixture`) are
/// generated from the run's seed; file kinds (`fashion_mnist`, `mnist`, `cifar10`, `csv`, `npz`)
/// read from `dir`/`path`. Token kinds (`modular_addition`, `copying`, `induction`,
/// `sparse_parity`, and `text` from a file) hold token ids as ``TokenSequenceLayout`` describes.
/// Fields that do not apply to a kind are rejected.
public struct DataSpec: Hashable, Sendable, Codable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case staircase, leap
        case teacherStudent = "teacher_student"
        case lowRank = "low_rank"
        case gaussianMixture = "gaussian_mixture"
        case fashionMNIST = "fashion_mnist"
        case mnist, cifar10, csv, npz
        case attentionTeacher = "attention_teacher"
        case modularAddition = "modular_addition"
        case copying, induction
        case sparseParity = "sparse_parity"
        case text

        /// Kinds whose inputs are token ids.
        public var isTokenSequence: Bool { [.modularAddition, .copying, .induction, .sparseParity, .text].contains(self) }
    }

    public var kind: Kind
    /// Training samples (synthetic: generated; files: the first `train` of the file).
    public var train: Int?
    /// Test samples.
    public var test: Int?
    /// Input dimension of synthetic tasks.
    public var dimension: Int?
    /// Staircase: the degree k of x₁ + x₁x₂ + … + x₁⋯x_k.
    public var degree: Int?
    /// Leap: the monomials, each a list of 0-based coordinates.
    public var monomials: [[Int]]?
    /// Teacher–student: the teacher's hidden width and activation.
    public var teacherWidth: Int?
    /// Teacher–student: the teacher's number of hidden layers (default 1), each `teacherWidth` wide.
    public var teacherDepth: Int?
    public var teacherActivation: String?
    /// Additive Gaussian label noise of regression tasks.
    public var labelNoise: Double?
    /// Low rank: the singular values of A in Y = A X, and the output dimension.
    public var singularValues: [Double]?
    public var outputs: Int?
    /// Gaussian mixture: the number of classes and the norm of the class means.
    public var classes: Int?
    public var separation: Double?
    /// File kinds: a directory (IDX, CIFAR-10) or a file (csv, npz) for training, and an
    /// optional separate test file.
    public var dir: String?
    public var path: String?
    public var testPath: String?
    /// CSV: the 0-based label column (default the last); npz: the array names.
    public var labelColumn: Int?
    public var inputsKey: String?
    public var labelsKey: String?
    /// Standardise inputs with the training set's mean and standard deviation (default true
    /// for image data).
    public var normalize: Bool?
    public var augmentation: AugmentationSpec?
    /// Multiply every input by a fixed random orthogonal matrix drawn from this seed (the same
    /// data in rotated coordinates).
    public var rotationSeed: UInt64?
    /// Shuffle the training labels across samples with this seed: the same inputs and label
    /// frequencies, but a task unrelated to the inputs (random labels; class targets only).
    public var labelShuffleSeed: UInt64?
    /// Attention teacher: tokens per sample and the rank of the teacher's query–key form.
    public var sequenceLength: Int?
    public var rank: Int?
    /// Modular addition: the modulus p.
    public var modulus: Int?
    /// Modular addition and text: the share of the pairs (windows) used for training.
    public var trainFraction: Double?
    /// Copying and induction: the number of distinct content tokens.
    public var vocabulary: Int?

    public init(kind: Kind) { self.kind = kind }

    /// The fields a kind accepts besides `kind`, `train`, `test`, `normalize`, `augmentation`.
    static let fields: [Kind: Set<String>] = [
        .staircase: ["dimension", "degree"],
        .leap: ["dimension", "monomials"],
        .teacherStudent: ["dimension", "teacherWidth", "teacherDepth", "teacherActivation", "labelNoise", "outputs"],
        .lowRank: ["dimension", "singularValues", "outputs", "labelNoise"],
        .gaussianMixture: ["dimension", "classes", "separation"],
        .fashionMNIST: ["dir"], .mnist: ["dir"], .cifar10: ["dir"],
        .csv: ["path", "testPath", "labelColumn", "classes"],
        .npz: ["path", "testPath", "inputsKey", "labelsKey"],
        .attentionTeacher: ["dimension", "sequenceLength", "rank", "singularValues", "outputs", "labelNoise"],
        .modularAddition: ["modulus", "trainFraction"],
        .copying: ["vocabulary", "sequenceLength"], .induction: ["vocabulary", "sequenceLength"],
        .sparseParity: ["dimension", "degree"],
        .text: ["path", "testPath", "sequenceLength", "trainFraction"],
    ]

    /// The names of the optional fields that are set.
    var setFields: [String] {
        var names: [String] = []
        if dimension != nil { names.append("dimension") }
        if degree != nil { names.append("degree") }
        if monomials != nil { names.append("monomials") }
        if teacherWidth != nil { names.append("teacherWidth") }
        if teacherDepth != nil { names.append("teacherDepth") }
        if teacherActivation != nil { names.append("teacherActivation") }
        if labelNoise != nil { names.append("labelNoise") }
        if singularValues != nil { names.append("singularValues") }
        if outputs != nil { names.append("outputs") }
        if classes != nil { names.append("classes") }
        if separation != nil { names.append("separation") }
        if dir != nil { names.append("dir") }
        if path != nil { names.append("path") }
        if testPath != nil { names.append("testPath") }
        if labelColumn != nil { names.append("labelColumn") }
        if inputsKey != nil { names.append("inputsKey") }
        if labelsKey != nil { names.append("labelsKey") }
        if sequenceLength != nil { names.append("sequenceLength") }
        if rank != nil { names.append("rank") }
        if modulus != nil { names.append("modulus") }
        if trainFraction != nil { names.append("trainFraction") }
        if vocabulary != nil { names.append("vocabulary") }
        return names
    }

    /// Rejects fields that do not apply to the kind and out-of-range values.
    public func validate() throws(DataError) {
        let allowed = Self.fields[kind] ?? []
        if let stray = setFields.first(where: { !allowed.contains($0) }) {
            throw DataError("data.\(Self.snakeCase(stray)) does not apply to data kind '\(kind.rawValue)'"
                + (allowed.isEmpty ? "" : "; it accepts \(allowed.sorted().map(Self.snakeCase).joined(separator: ", "))"))
        }
        for (name, value) in [("train", train), ("test", test), ("dimension", dimension), ("degree", degree),
                              ("teacher_width", teacherWidth), ("teacher_depth", teacherDepth), ("outputs", outputs), ("classes", classes),
                              ("sequence_length", sequenceLength), ("rank", rank), ("modulus", modulus), ("vocabulary", vocabulary)] {
            if let value, value <= 0 { throw DataError("data.\(name) must be positive, got \(value)") }
        }
        if let labelNoise, labelNoise < 0 { throw DataError("data.label_noise must be ≥ 0") }
        if kind.isTokenSequence { try validateTokenSettings() }
        try augmentation?.validate()
        if rotationSeed != nil, let augmentation, augmentation.flip == true || (augmentation.cropPadding ?? 0) > 0
            || augmentation.signFlipIrrelevant == true || augmentation.permuteIrrelevant == true {
            // A rotation mixes every coordinate: image axes and irrelevant coordinates are gone.
            throw DataError("data.rotation_seed cannot be combined with flips, crops or irrelevant-coordinate augmentation (only noise)")
        }
    }

    static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, c in
            if c.isUppercase { result += "_" + c.lowercased() } else { result.append(c) }
        }
    }
}

/// Random transformations applied to each training batch.
public struct AugmentationSpec: Hashable, Sendable, Codable {
    /// Images: mirror left–right with probability ½.
    public var flip: Bool?
    /// Images: pad by this many pixels and crop back at a random offset.
    public var cropPadding: Int?
    /// Any data: add N(0, noise²) to every input.
    public var noise: Double?
    /// Synthetic tasks: multiply each irrelevant coordinate by a random sign.
    public var signFlipIrrelevant: Bool?
    /// Synthetic tasks: randomly permute the irrelevant coordinates.
    public var permuteIrrelevant: Bool?

    public init(flip: Bool? = nil, cropPadding: Int? = nil, noise: Double? = nil, signFlipIrrelevant: Bool? = nil, permuteIrrelevant: Bool? = nil) {
        (self.flip, self.cropPadding, self.noise) = (flip, cropPadding, noise)
        (self.signFlipIrrelevant, self.permuteIrrelevant) = (signFlipIrrelevant, permuteIrrelevant)
    }

    public var isActive: Bool {
        flip == true || (cropPadding ?? 0) > 0 || (noise ?? 0) > 0 || signFlipIrrelevant == true || permuteIrrelevant == true
    }

    func validate() throws(DataError) {
        if let cropPadding, cropPadding < 0 { throw DataError("data.augmentation.crop_padding must be ≥ 0") }
        if let noise, noise < 0 { throw DataError("data.augmentation.noise must be ≥ 0") }
    }
}
