import NoetherNN
import NoetherTensor

extension DataSpec {
    /// Makes or loads the training and test sets. Synthetic data is drawn from `generator`
    /// (train and test from independent derived streams); file data is read and truncated to
    /// `train`/`test` samples. The result is validated (finite, labels in range).
    public func load(using generator: RandomGenerator) throws(DataError) -> DataSplit {
        try validate()
        var split = try makeSplit(generator)
        if let train { split.train = split.train.prefix(train) }
        if let test { split.test = split.test.prefix(test) }
        if normalize ?? isImageData { split = Self.standardized(split) }
        if let rotationSeed { split = try Self.rotated(split, seed: rotationSeed) }
        if let labelShuffleSeed { split.train = try Self.shufflingLabels(split.train, seed: labelShuffleSeed) }
        try split.train.validate()
        try split.test.validate()
        guard split.train.featureCount == split.test.featureCount else {
            throw DataError("training inputs have \(split.train.featureCount) features but test inputs have \(split.test.featureCount)")
        }
        return split
    }

    var isImageData: Bool { [.fashionMNIST, .mnist, .cifar10].contains(kind) }

    private func makeSplit(_ generator: RandomGenerator) throws(DataError) -> DataSplit {
        var trainStream = generator.derived("train")
        var testStream = generator.derived("test")
        let (trainCount, testCount) = (train ?? 1000, test ?? 1000)
        switch kind {
        case .modularAddition, .copying, .induction, .sparseParity, .text:
            return try makeTokenSplit(generator, train: trainCount, test: testCount)
        case .staircase, .leap:
            let d = dimension ?? 30
            let terms = kind == .staircase ? SyntheticTasks.staircaseMonomials(degree: degree ?? 4) : (monomials ?? [])
            guard !terms.isEmpty else { throw DataError("data.monomials must list at least one monomial for kind leap") }
            if let bad = terms.flatMap({ $0 }).first(where: { $0 < 0 || $0 >= d }) {
                throw DataError("data: monomial coordinate \(bad) is outside 0..<\(d) (dimension)")
            }
            var split = DataSplit(
                train: SyntheticTasks.leap(count: trainCount, dimension: d, monomials: terms, using: &trainStream),
                test: SyntheticTasks.leap(count: testCount, dimension: d, monomials: terms, using: &testStream))
            split.train.name = kind.rawValue
            split.test.name = kind.rawValue
            return split
        case .teacherStudent:
            guard let activation = Activation(rawValue: teacherActivation ?? "relu") else {
                throw DataError("data.teacher_activation '\(teacherActivation ?? "")' is not one of relu, tanh, gelu, sin, identity, leaky_relu")
            }
            let teacher = generator.derived("teacher")
            let (d, k, o, noise, depth) = (dimension ?? 20, teacherWidth ?? 4, outputs ?? 1, labelNoise ?? 0, teacherDepth ?? 1)
            return DataSplit(
                train: SyntheticTasks.teacherStudent(count: trainCount, dimension: d, width: k, depth: depth, outputs: o, activation: activation.function(leakySlope: 0.01),
                                                     labelNoise: noise, teacher: teacher, using: &trainStream),
                test: SyntheticTasks.teacherStudent(count: testCount, dimension: d, width: k, depth: depth, outputs: o, activation: activation.function(leakySlope: 0.01),
                                                    labelNoise: 0, teacher: teacher, using: &testStream))
        case .lowRank:
            let values = singularValues ?? [10, 3, 1]
            let (d, o) = (dimension ?? 32, outputs ?? dimension ?? 32)
            guard !values.isEmpty, values.count <= min(d, o), values.allSatisfy({ $0 >= 0 }) else {
                throw DataError("data.singular_values needs 1…min(dimension, outputs) = \(min(d, o)) non-negative values, got \(values)")
            }
            var matrixStream = generator.derived("matrix")
            let a = SyntheticTasks.lowRankMatrix(outputs: o, dimension: d, singularValues: values, using: &matrixStream)
            return DataSplit(train: SyntheticTasks.lowRank(count: trainCount, matrix: a, labelNoise: labelNoise ?? 0, using: &trainStream),
                             test: SyntheticTasks.lowRank(count: testCount, matrix: a, labelNoise: 0, using: &testStream))
        case .gaussianMixture:
            var meanStream = generator.derived("means")
            let means = SyntheticTasks.mixtureMeans(classes: classes ?? 10, dimension: dimension ?? 20, separation: separation ?? 4, using: &meanStream)
            return DataSplit(train: SyntheticTasks.gaussianMixture(count: trainCount, means: means, using: &trainStream),
                             test: SyntheticTasks.gaussianMixture(count: testCount, means: means, using: &testStream))
        case .attentionTeacher:
            let (d, s, r) = (dimension ?? 8, sequenceLength ?? 8, singularValues?.count ?? rank ?? 2)
            guard r <= d else { throw DataError("data.rank \(r) (or the number of singular_values) exceeds the token dimension \(d)") }
            var teacherStream = generator.derived("teacher")
            let teacher = SyntheticTasks.AttentionTeacher(dimension: d, rank: r, outputs: outputs ?? 1, singularValues: singularValues,
                                                          using: &teacherStream)
            return DataSplit(train: teacher.dataset(count: trainCount, sequenceLength: s, labelNoise: labelNoise ?? 0, using: &trainStream),
                             test: teacher.dataset(count: testCount, sequenceLength: s, labelNoise: 0, using: &testStream))
        case .fashionMNIST:
            return try FileDatasets.idx(
                directory: dir ?? FileDatasets.fashionMNISTDirectory, name: "fashion_mnist",
                hint: "install them with `sudo apt-get install dataset-fashion-mnist`, or set data.dir to a folder holding them")
        case .mnist:
            guard let dir else {
                throw DataError("data.dir must name the folder with the MNIST IDX files (train-images-idx3-ubyte[.gz], …)")
            }
            return try FileDatasets.idx(directory: dir, name: "mnist",
                                        hint: "download them from https://yann.lecun.com/exdb/mnist/ into that folder")
        case .cifar10:
            guard let dir else { throw DataError("data.dir must name the folder with the CIFAR-10 binary batches") }
            return try FileDatasets.cifar10(directory: dir)
        case .csv:
            guard let path else { throw DataError("data.path must name the CSV file") }
            let trainSet = try FileDatasets.csv(path: path, labelColumn: labelColumn, classes: classes)
            return try split(trainSet, testFile: testPath.map { p throws(DataError) in try FileDatasets.csv(path: p, labelColumn: labelColumn, classes: classes) })
        case .npz:
            guard let path else { throw DataError("data.path must name the npz file") }
            let (x, y) = (inputsKey ?? "x", labelsKey ?? "y")
            let trainSet = try FileDatasets.npz(path: path, inputsKey: x, labelsKey: y)
            return try split(trainSet, testFile: testPath.map { p throws(DataError) in try FileDatasets.npz(path: p, inputsKey: x, labelsKey: y) })
        }
    }

    /// A separate test file, or else the last `test` samples (default 20%) held out.
    private func split(_ all: Dataset, testFile: Dataset?) throws(DataError) -> DataSplit {
        if var testFile {
            if case .classes(let labels, let c1) = all.targets, case .classes(let testLabels, let c2) = testFile.targets, c1 != c2 {
                let classes = max(c1, c2)
                var train = all
                train.targets = .classes(labels, classes: classes)
                testFile.targets = .classes(testLabels, classes: classes)
                return DataSplit(train: train, test: testFile)
            }
            return DataSplit(train: all, test: testFile)
        }
        let held = min(test ?? max(all.count / 5, 1), all.count - 1)
        guard held >= 1 else { throw DataError("\(all.name) has too few samples (\(all.count)) to hold out a test set; set data.test_path") }
        var train = all.prefix(all.count - held)
        var testSet = all
        testSet.inputs = all.inputs.slice(alongAxis: 0, (all.count - held)..<all.count)
        switch all.targets {
        case .classes(let labels, let classes): testSet.targets = .classes(Array(labels.suffix(held * all.targetsPerSample)), classes: classes)
        case .values(let values): testSet.targets = .values(values.slice(alongAxis: 0, (all.count - held)..<all.count))
        }
        train.name = all.name
        return DataSplit(train: train, test: testSet)
    }

    /// Both sets with inputs x ↦ Qx for a random orthogonal Q drawn from `seed`. Every
    /// coordinate is mixed, so the sets lose their image shape and relevant coordinates.
    static func rotated(_ split: DataSplit, seed: UInt64) throws(DataError) -> DataSplit {
        var stream = RandomGenerator(seed: seed)
        let features = split.train.featureCount
        guard let u = try? Tensor<Double>.normal([features, features], using: &stream).svd().u else {
            throw DataError("data.rotation_seed \(seed): the random rotation of \(features) features could not be computed (SVD failed); try another seed")
        }
        let q = Tensor<Float>(u)
        var result = split
        result.train.inputs = split.train.inputs.matmul(q, transposeOther: true)
        result.test.inputs = split.test.inputs.matmul(q, transposeOther: true)
        result.train.sampleShape = [features]
        result.test.sampleShape = [features]
        result.train.relevantCoordinates = nil
        result.test.relevantCoordinates = nil
        return result
    }

    /// The dataset with its class labels permuted across samples by a stream of `seed`.
    static func shufflingLabels(_ dataset: Dataset, seed: UInt64) throws(DataError) -> Dataset {
        guard case .classes(let labels, let classes) = dataset.targets else {
            throw DataError("data.label_shuffle_seed needs class labels; \(dataset.name) has regression targets")
        }
        var stream = RandomGenerator(seed: seed)
        var shuffled = labels
        stream.shuffle(&shuffled)
        var result = dataset
        result.targets = .classes(shuffled, classes: classes)
        return result
    }

    /// Inputs standardised by the training set's global mean and standard deviation.
    static func standardized(_ split: DataSplit) -> DataSplit {
        let mean = split.train.inputs.mean()
        let std = max(((split.train.inputs - mean).squaredNorm() / Float(max(split.train.inputs.count, 1))).squareRoot(), 1e-6)
        var result = split
        result.train.inputs = (split.train.inputs - mean) * (1 / std)
        result.test.inputs = (split.test.inputs - mean) * (1 / std)
        return result
    }
}
