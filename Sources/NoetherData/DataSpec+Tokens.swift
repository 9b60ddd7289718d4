import NoetherTensor

extension DataSpec {
    /// Settings of the token kinds that a field-by-field check cannot see.
    func validateTokenSettings() throws(DataError) {
        // Token ids are labels, not measurements: any transformation of them invents tokens.
        if normalize == true || rotationSeed != nil || augmentation?.isActive == true {
            throw DataError("data kind '\(kind.rawValue)' holds token ids, which cannot be normalized, rotated or augmented; remove data.normalize, data.rotation_seed and data.augmentation")
        }
        if let trainFraction, !(trainFraction > 0 && trainFraction < 1) {
            throw DataError("data.train_fraction must lie strictly between 0 and 1, got \(trainFraction)")
        }
        // p² pairs are generated up front: p ≤ 1000 keeps them to a million.
        if let modulus, !(2...1000).contains(modulus) { throw DataError("data.modulus must lie in 2…1000, got \(modulus)") }
        // Ids are stored as Float32, exact up to 2²⁴.
        if let vocabulary, !(2...(1 << 24 - 1)).contains(vocabulary) {
            throw DataError("data.vocabulary must lie in 2…\(1 << 24 - 1) (ids are stored exactly as Float32), got \(vocabulary)")
        }
        if kind == .copying || kind == .induction, let s = sequenceLength {
            let least = kind == .copying ? 2 : 4
            guard s % 2 == 0, s >= least else {
                throw DataError("data.sequence_length of '\(kind.rawValue)' must be even and at least \(least) (two halves), got \(s)")
            }
        }
        if kind == .sparseParity, let degree, degree > (dimension ?? Self.defaultParityBits) {
            throw DataError("data.degree \(degree) exceeds the number of bits \(dimension ?? Self.defaultParityBits) (data.dimension)")
        }
    }

    static let defaultParityBits = 20

    /// The training and test sets of a token kind.
    func makeTokenSplit(_ generator: RandomGenerator, train trainCount: Int, test testCount: Int) throws(DataError) -> DataSplit {
        var trainStream = generator.derived("train")
        var testStream = generator.derived("test")
        switch kind {
        case .modularAddition:
            var splitStream = generator.derived("split")
            return TokenTasks.modularAddition(modulus: modulus ?? 97, trainFraction: trainFraction ?? 0.5, using: &splitStream)
        case .copying, .induction:
            let (v, s) = (vocabulary ?? 16, sequenceLength ?? 16)
            let make = kind == .copying ? TokenTasks.copying : TokenTasks.induction
            return DataSplit(train: make(trainCount, v, s, &trainStream), test: make(testCount, v, s, &testStream))
        case .sparseParity:
            let bits = dimension ?? Self.defaultParityBits
            var secretStream = generator.derived("secret")
            let secret = TokenTasks.paritySecret(bits: bits, degree: degree ?? 3, using: &secretStream)
            return DataSplit(train: TokenTasks.sparseParity(count: trainCount, bits: bits, secret: secret, using: &trainStream),
                             test: TokenTasks.sparseParity(count: testCount, bits: bits, secret: secret, using: &testStream))
        case .text:
            guard let path else { throw DataError("data.path must name the text file") }
            return try FileDatasets.text(path: path, testPath: testPath, sequenceLength: sequenceLength ?? 64, trainFraction: trainFraction ?? 0.9)
        default:
            throw DataError("data kind '\(kind.rawValue)' is not a token kind")
        }
    }
}
