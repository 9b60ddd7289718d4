import NoetherData
import NoetherNN
import NoetherSymmetry

/// Everything that determines a training run. The same config and seed reproduce a run bit
/// for bit (on the same machine and BLAS thread count).
///
/// Written as YAML or JSON with snake_case keys; see the README for an example of every field.
public struct RunConfig: Hashable, Sendable, Codable {
    public var name: String
    public var seed: UInt64
    public var model: ModelSpec
    public var initializer: InitializerSpec
    public var data: DataSpec
    /// Defaults to cross-entropy for class labels and mean squared error otherwise.
    public var loss: LossKind?
    public var optimizer: OptimizerSpec
    public var schedule: ScheduleSpec
    public var training: TrainingSpec
    /// Symmetry measurement during training.
    public var track: TrackSpec
    /// syre and other symmetry control.
    public var control: ControlSpec
    /// The run directory; defaults to `runs/<name>`.
    public var output: String?

    enum CodingKeys: String, CodingKey {
        case name, seed, model, initializer = "init", data, loss, optimizer, schedule, training, track, control, output
    }

    public init(name: String, seed: UInt64 = 0, model: ModelSpec, initializer: InitializerSpec = InitializerSpec(),
                data: DataSpec, loss: LossKind? = nil, optimizer: OptimizerSpec = OptimizerSpec(),
                schedule: ScheduleSpec = ScheduleSpec(), training: TrainingSpec, track: TrackSpec = TrackSpec(),
                control: ControlSpec = ControlSpec(), output: String? = nil) {
        (self.name, self.seed, self.model, self.initializer, self.data) = (name, seed, model, initializer, data)
        (self.loss, self.optimizer, self.schedule, self.training, self.output) = (loss, optimizer, schedule, training, output)
        (self.track, self.control) = (track, control)
    }

    /// A key of a nested section, to ask whether the file sets it.
    private struct SectionKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(decodedFrom: c)
        // Thresholds the file leaves out follow the init scale (small init: absolute ones);
        // written out in the resolved config.json, so a resumed run reads the same ones.
        let track = try? c.nestedContainer(keyedBy: SectionKey.self, forKey: .track)
        if track?.contains(SectionKey(stringValue: "thresholds")) != true, initializer.from == nil {
            self.track.thresholds = SymmetryThresholds.defaults(initScale: initializer.scale)
        }
    }

    private init(decodedFrom c: KeyedDecodingContainer<CodingKeys>) throws {
        self.init(
            name: try c.decodeIfPresent(String.self, forKey: .name) ?? "run",
            seed: try Self.seed(in: c),
            model: try c.decode(ModelSpec.self, forKey: .model),
            initializer: try c.decodeIfPresent(InitializerSpec.self, forKey: .initializer) ?? InitializerSpec(),
            data: try c.decode(DataSpec.self, forKey: .data),
            loss: try c.decodeIfPresent(LossKind.self, forKey: .loss),
            optimizer: try c.decodeIfPresent(OptimizerSpec.self, forKey: .optimizer) ?? OptimizerSpec(),
            schedule: try c.decodeIfPresent(ScheduleSpec.self, forKey: .schedule) ?? ScheduleSpec(),
            training: try c.decode(TrainingSpec.self, forKey: .training),
            track: try c.decodeIfPresent(TrackSpec.self, forKey: .track) ?? TrackSpec(),
            control: try c.decodeIfPresent(ControlSpec.self, forKey: .control) ?? ControlSpec(),
            output: try c.decodeIfPresent(String.self, forKey: .output))
    }

    /// The seed, with a message that names it when it is not a whole number from 0 to 2⁶⁴ − 1
    /// (the decoder reports `-1` as invalid JSON at the top level).
    private static func seed(in c: KeyedDecodingContainer<CodingKeys>) throws -> UInt64 {
        guard c.contains(.seed), (try? c.decodeNil(forKey: .seed)) != true else { return 0 }
        if let value = try? c.decode(UInt64.self, forKey: .seed) { return value }
        var given = "another kind of value"
        if let integer = try? c.decode(Int.self, forKey: .seed) {
            given = String(integer)
        } else if let number = try? c.decode(Double.self, forKey: .seed) {
            given = String(number)
        } else if let text = try? c.decode(String.self, forKey: .seed) {
            given = "'\(text)'"
        }
        throw DecodingError.dataCorruptedError(forKey: .seed, in: c, debugDescription: "must be a whole number from 0 to 2⁶⁴ − 1, got \(given)")
    }

    /// A stable hash of what the run computes (the config without its output directory).
    public var contentHash: String {
        var content = self
        content.output = nil
        return ConfigLoader.hash(content)
    }

    /// The run directory this config writes to.
    public var directory: String { output ?? "runs/\(name)" }
}

/// How long to train and how often to look.
public struct TrainingSpec: Hashable, Sendable, Codable {
    public var steps: Int
    public var batchSize: Int
    /// Evaluate (train and test loss, accuracy) every this many steps and at the end.
    public var evalEvery: Int
    /// Save a checkpoint every this many steps (0: only at the end).
    public var checkpointEvery: Int
    /// At most this many training samples are used to measure the training loss.
    public var evalSamples: Int
    /// Save the weights every this many steps (at evaluations, and at step 0) under `snapshots/`.
    public var snapshotEvery: Int?
    /// Finish at the first evaluation whose training loss is at or below this value (training
    /// to a stated loss rather than for a fixed time).
    public var stopAtTrainLoss: Double?

    public init(steps: Int, batchSize: Int = 128, evalEvery: Int? = nil, checkpointEvery: Int = 0, evalSamples: Int = 10_000,
                snapshotEvery: Int? = nil, stopAtTrainLoss: Double? = nil) {
        self.steps = steps
        self.snapshotEvery = snapshotEvery
        self.stopAtTrainLoss = stopAtTrainLoss
        self.batchSize = batchSize
        self.evalEvery = evalEvery ?? max(steps / 20, 1)
        self.checkpointEvery = checkpointEvery
        self.evalSamples = evalSamples
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            steps: try c.decode(Int.self, forKey: .steps),
            batchSize: try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 128,
            evalEvery: try c.decodeIfPresent(Int.self, forKey: .evalEvery),
            checkpointEvery: try c.decodeIfPresent(Int.self, forKey: .checkpointEvery) ?? 0,
            evalSamples: try c.decodeIfPresent(Int.self, forKey: .evalSamples) ?? 10_000,
            snapshotEvery: try c.decodeIfPresent(Int.self, forKey: .snapshotEvery),
            stopAtTrainLoss: try c.decodeIfPresent(Double.self, forKey: .stopAtTrainLoss))
    }

    public func validate() throws(RunError) {
        guard steps > 0 else { throw RunError("training.steps must be positive, got \(steps)") }
        guard batchSize > 0 else { throw RunError("training.batch_size must be positive, got \(batchSize)") }
        guard evalEvery > 0 else { throw RunError("training.eval_every must be positive, got \(evalEvery)") }
        guard checkpointEvery >= 0 else { throw RunError("training.checkpoint_every must be ≥ 0") }
        guard evalSamples > 0 else { throw RunError("training.eval_samples must be positive") }
        if let snapshotEvery, snapshotEvery <= 0 { throw RunError("training.snapshot_every must be positive, got \(snapshotEvery)") }
        if let stopAtTrainLoss, !stopAtTrainLoss.isFinite { throw RunError("training.stop_at_train_loss must be a finite number") }
    }
}

extension RunConfig {
    /// Checks every section, reporting the first problem. The memory estimate comes first:
    /// building the model to validate it must not be what runs out of memory.
    public func validate(memoryLimit: Int = MemoryEstimate.defaultLimit) throws(RunError) {
        // The name becomes runs/<name>: it must be one path component, or it could name `/`
        // or a folder outside runs/.
        guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.contains("\0") else {
            throw RunError("name '\(name)' must be one path component (no '/', not '.' or '..'): it names the run directory runs/<name>")
        }
        if let output, output.trimmingCharacters(in: .whitespaces).isEmpty {
            throw RunError("output must name a directory; an empty path would put the run's files in the current folder or /")
        }
        try MemoryEstimate(self).check(limit: memoryLimit)
        do {
            try model.validate()
            try optimizer.validate()
            try schedule.validate()
            try data.validate()
            try control.syre?.validate()
        } catch let error as ModelSpecError {
            throw RunError("model: \(error.description)")
        } catch let error as DataError {
            throw RunError(error)
        } catch {
            throw RunError("\(error)")
        }
        try training.validate()
        try track.validate()
        if let teleport = control.teleport {
            try teleport.validate()
            guard control.syre == nil else {
                throw RunError("control.teleport and control.syre cannot be combined", hint: "teleportation moves θ + θ₀ along the group, which syre's frozen offset does not follow")
            }
        }
    }
}
