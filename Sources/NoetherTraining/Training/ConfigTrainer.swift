import Foundation
import NoetherData
import NoetherIO
import NoetherNN
import NoetherSymmetry
import NoetherTensor

/// How a configured run is executed (not part of what it computes).
public struct TrainingOptions {
    /// Where to write the run; nil keeps everything in memory.
    public var directory: String?
    /// Discard an earlier run in the directory instead of resuming it.
    public var restart = false
    /// Show progress on the terminal.
    public var showsProgress = false
    /// Stop after this many steps in this session (as if interrupted), for tests.
    public var stopAfterSteps: Int?
    /// Called with each symmetry event as it is detected.
    public var onEvent: (@Sendable (SymmetryEvent) -> Void)?
    /// Callbacks that come after the run directory's (e.g. the run store's indexer, which reads
    /// what the run directory wrote).
    public var observers: [any TrainingCallback]
    /// Refuse a config whose memory estimate exceeds this many bytes (nil: ``MemoryEstimate/defaultLimit``).
    public var maxMemory: Int?

    public init(directory: String? = nil, restart: Bool = false, showsProgress: Bool = false, stopAfterSteps: Int? = nil,
                onEvent: (@Sendable (SymmetryEvent) -> Void)? = nil, observers: [any TrainingCallback] = []) {
        (self.directory, self.restart, self.showsProgress, self.stopAfterSteps) = (directory, restart, showsProgress, stopAfterSteps)
        (self.onEvent, self.observers) = (onEvent, observers)
    }
}

/// The outcome of ``ConfigTrainer/run()``.
public struct TrainingResult: Sendable {
    public let summary: RunSummary
    public let parameters: Parameters<Float>
    public let architecture: Architecture
    /// Every metric recorded in this session (and, when resumed, earlier ones from the file).
    public let metrics: [MetricRecord]
    /// Symmetry breaking and restoration events (likewise).
    public let events: [SymmetryEvent]
    /// The symmetries the tracker measured (empty when `track.enabled` is false).
    public let catalogue: [SymmetrySpec]
    /// The symmetry state of `parameters` under the run's thresholds (nil without tracking).
    public let symmetryReport: ModelSymmetryReport?
    /// Whether an earlier, already finished run was found and returned unchanged.
    public let wasAlreadyComplete: Bool

    public init(summary: RunSummary, parameters: Parameters<Float>, architecture: Architecture, metrics: [MetricRecord],
                events: [SymmetryEvent], catalogue: [SymmetrySpec], symmetryReport: ModelSymmetryReport?, wasAlreadyComplete: Bool) {
        (self.summary, self.parameters, self.architecture, self.metrics) = (summary, parameters, architecture, metrics)
        (self.events, self.catalogue, self.symmetryReport, self.wasAlreadyComplete) = (events, catalogue, symmetryReport, wasAlreadyComplete)
    }
}

/// A training run from a ``RunConfig``: loads the data, builds the model, and calls ``Trainer``
/// with the callbacks the config and options ask for — the run directory (checkpoints and
/// resume), TensorBoard, symmetry tracking, progress, and `options.observers` (the CLI adds the
/// run store's indexer). `noether train` is this.
public struct ConfigTrainer {
    public private(set) var config: RunConfig
    public let options: TrainingOptions
    /// Further callbacks, called before the ones the config implies.
    public var callbacks: [any TrainingCallback]

    public init(config: RunConfig, options: TrainingOptions = TrainingOptions(), callbacks: [any TrainingCallback] = []) {
        self.config = config
        self.options = options
        self.callbacks = callbacks
    }

    public func run() throws(RunError) -> TrainingResult {
        switch try prepare() {
        case .finished(let result):
            return result
        case .ready(let prepared):
            // The run directory's lock is held until the result is built.
            return try withExtendedLifetime(prepared) { () throws(RunError) -> TrainingResult in
                prepared.result(of: try prepared.trainer.run())
            }
        }
    }

    /// A run ready to train: its trainer and what its result is built from.
    struct PreparedRun {
        let trainer: Trainer
        let config: RunConfig
        let architecture: Architecture
        let catalogue: [SymmetrySpec]
        let configHash: String
        let tracker: SymmetryTracker?
        let writer: RunDirectoryWriter?
        /// Held while the run trains.
        let lock: RunLock?

        func result(of outcome: TrainingOutcome) -> TrainingResult {
            TrainingResult(
                summary: writer?.summary ?? RunSummary(outcome, name: config.name, configHash: configHash), parameters: outcome.model.parameters,
                architecture: architecture, metrics: outcome.log.metrics, events: outcome.log.events, catalogue: catalogue,
                symmetryReport: tracker?.report(of: outcome.learnedParameters, at: outcome.steps), wasAlreadyComplete: false)
        }
    }

    enum Preparation {
        /// The run directory already holds the finished run.
        case finished(TrainingResult)
        case ready(PreparedRun)
    }

    /// Everything before the training loop: the data, the model, the run directory (resumed,
    /// restarted or new) and the callbacks.
    func prepare() throws(RunError) -> Preparation {
        try config.validate(memoryLimit: options.maxMemory ?? MemoryEstimate.defaultLimit)
        let generator = RandomGenerator(seed: config.seed)
        let split: DataSplit
        do { split = try config.data.load(using: generator.derived("data")) } catch { throw RunError(error) }
        var config = self.config
        config.loss = try Trainer.resolveLoss(config.loss, for: split.train.targets)
        let loss = config.loss ?? .mse
        let architecture: Architecture
        do { architecture = try Architecture(config.model) } catch { throw RunError("model: \(error.description)") }
        try Trainer.checkCompatibility(config.model, split.train)
        let catalogue: [SymmetrySpec]
        do { catalogue = config.track.enabled ? try SymmetryCatalogue.infer(config.model, loss: loss) : [] } catch {
            throw RunError("model: \(error.description)")
        }
        // Before anything is written: a group selection that matches nothing is a config error.
        let teleport = try config.control.teleport.map { spec throws(RunError) in
            TeleportSchedule(every: spec.every, label: spec.group, teleportation: try spec.teleportation(
                catalogue: catalogue.isEmpty ? SymmetryCatalogue.infer(architecture, loss: loss) : catalogue))
        }

        let run = options.directory.map(RunDirectory.init)
        let configHash = config.contentHash
        var resumes = false
        var lock: RunLock?
        if let run {
            guard !run.path.isEmpty else { throw RunError("the run directory is an empty path", hint: "give the run an output directory") }
            try run.create()
            lock = try RunLock(directory: run.path)
            // Under the lock no other process writes here: what an interrupted one left is debris.
            run.removeLeftovers()
            if run.exists, !options.restart {
                guard run.recordedConfig() == config else {
                    throw RunError("\(run.path) holds a run of a different config", hint: "use another output directory, or --restart to replace it")
                }
                if let summary = run.summary(), summary.status == "completed" {
                    return .finished(try withExtendedLifetime(lock) { () throws(RunError) -> TrainingResult in
                        try finishedResult(run, summary: summary, architecture: architecture, catalogue: catalogue)
                    })
                }
                resumes = !Checkpoint.all(in: run).isEmpty
            } else if options.restart {
                try run.clear()
            }
            try run.create()
            try run.writeJSON(ConfigLoader.canonicalJSON(config), to: run.configPath)
        }

        // Initial weights (a resumed run takes them from its checkpoint instead, so a file
        // named by init.from is not read again).
        var model: Model<Float>
        do {
            model = resumes || config.initializer.from == nil
                ? try Model(config.model, initializer: config.initializer, generator: generator.derived("init"))
                : try Model(config.model, parameters: try Self.loadInitialWeights(config.initializer.from ?? "", spec: config.model))
        } catch let error as RunError { throw error } catch { throw RunError("model: \(error)") }
        var frozenOffset: FrozenOffset?
        if let syre = config.control.syre {
            let (anchors, factors): ([Tensor<Float>?], [Tensor<Float>?]) = syre.anchors(
                for: architecture, initializer: config.initializer,
                generator: syre.seed.map { RandomGenerator(seed: $0) } ?? generator.derived("syre"))
            frozenOffset = FrozenOffset(anchors: anchors, decayFactors: factors)
            if syre.matchInit {
                for position in 0..<min(model.parameters.count, anchors.count) {
                    if let anchor = anchors[position] { model.parameters[position: position] = model.parameters[position: position] - anchor }
                }
            }
        }

        let tracker = config.track.enabled
            ? SymmetryTracker(catalogue: catalogue, spec: config.track, interval: config.track.every ?? config.training.evalEvery) : nil
        tracker?.architecture = architecture
        if let tracker, config.track.neuralCollapse > 0, case .classes(let labels, _) = split.train.targets {
            let n = min(config.track.neuralCollapse, split.train.count)
            tracker.probe = (split.train.inputs.slice(alongAxis: 0, 0..<n), labels.prefix(n).map { Int($0) })
        }
        if let tracker, config.track.functional > 0 {
            tracker.functionalProbe = split.train.inputs.slice(alongAxis: 0, 0..<min(config.track.functional, split.train.count))
        }
        let writer = run.map {
            RunDirectoryWriter($0, resumes: resumes, checkpointEvery: config.training.checkpointEvery,
                               snapshotEvery: config.training.snapshotEvery, name: config.name, configHash: configHash)
        }
        // The order matters: callbacks record metrics in it, and the store indexes what the
        // run directory has written.
        var all: [any TrainingCallback] = callbacks
        if let tracker { all.append(tracker) }
        if let writer { all.append(writer) }
        if let run { all.append(try TensorBoardLogger(directory: run.path)) }
        if let onEvent = options.onEvent { all.append(EventHandler(onEvent)) }
        if options.showsProgress { all.append(ProgressReporter(label: config.name)) }
        all += options.observers

        var trainer = Trainer(model: model, data: TrainingData(split, augmentation: config.data.augmentation), optimizer: config.optimizer,
                              schedule: config.schedule, training: config.training, loss: loss, seed: config.seed, callbacks: all)
        trainer.frozenOffset = frozenOffset
        trainer.teleport = teleport
        trainer.stopAfterSteps = options.stopAfterSteps
        return .ready(PreparedRun(trainer: trainer, config: config, architecture: architecture, catalogue: catalogue,
                                  configHash: configHash, tracker: tracker, writer: writer, lock: lock))
    }

    private func finishedResult(_ run: RunDirectory, summary: RunSummary, architecture: Architecture,
                                catalogue: [SymmetrySpec]) throws(RunError) -> TrainingResult {
        do {
            let parameters = Parameters(try SafetensorsFile(contentsOf: run.weightsPath).tensors(as: Float.self))
            let report = config.track.enabled ? SymmetryAnalysis.analyze(parameters, catalogue: catalogue, thresholds: config.track.thresholds) : nil
            return TrainingResult(summary: summary, parameters: parameters, architecture: architecture,
                                  metrics: try MetricRecord.read(run.metricsPath), events: try SymmetryEventLog.read(run.eventsPath),
                                  catalogue: catalogue, symmetryReport: report, wasAlreadyComplete: true)
        } catch let error as RunError {
            throw error
        } catch {
            throw RunError("\(run.path) says it is complete but its weights cannot be read (\(error))", hint: "use --restart")
        }
    }

    /// Weights to start from (`init.from`): a safetensors file or a run directory.
    static func loadInitialWeights(_ path: String, spec: ModelSpec) throws(RunError) -> Parameters<Float> {
        do {
            let collection = try SafetensorsCollection(path: path)
            var tensors = Parameters<Float>()
            for (entry, _) in collection.entries where !entry.encoding.isInteger { tensors[entry.name] = try collection.tensor(entry.name, as: Float.self) }
            return try Model<Float>(spec, parameters: tensors).parameters
        } catch let error as FileFormatError {
            throw RunError("init.from: \(error.description)")
        } catch let error as ModelSpecError {
            throw RunError("init.from \(path) does not fit the model: \(error.description)")
        } catch {
            throw RunError("init.from: \(error)")
        }
    }
}
