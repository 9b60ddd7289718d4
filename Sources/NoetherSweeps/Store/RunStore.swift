import Foundation
import GRDB
import NoetherIO
import NoetherSymmetry
import NoetherTraining

/// One indexed run.
public struct StoredRun: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "runs"
    /// A stable identifier derived from the run's absolute path.
    public var id: String
    public var path: String
    public var name: String
    public var experiment: String?
    public var status: String
    public var configHash: String
    public var config: String
    public var steps: Int
    public var parameterCount: Int
    public var wallTimeSeconds: Double
    public var final: String

    enum CodingKeys: String, CodingKey {
        case id, path, name, experiment, status, configHash = "config_hash", config, steps
        case parameterCount = "parameter_count", wallTimeSeconds = "wall_time_seconds", final
    }
}

/// An SQLite index (GRDB) of run directories: runs, their configs and summaries, metrics and
/// symmetry events, for queries across runs and sweeps. The directories stay the source of
/// truth; the database can be deleted and rebuilt from them with ``importDirectory(_:)``.
public final class RunStore {
    public let path: String
    private let queue: DatabaseQueue

    /// The store `noether` uses: `$NOETHER_STORE`, else `.noether/runs.sqlite` here.
    public static var defaultPath: String {
        ProcessInfo.processInfo.environment["NOETHER_STORE"] ?? ".noether/runs.sqlite"
    }

    /// Opens (or creates) a store.
    public init(path: String = RunStore.defaultPath) throws(RunError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            // Many processes share one store (sweeps with --jobs, parallel `noether train`):
            // WAL lets readers and a writer proceed together, and a writer waits for another's
            // transaction instead of failing with "database is locked".
            var configuration = Configuration()
            configuration.journalMode = .wal
            configuration.busyMode = .timeout(Self.busyTimeout)
            queue = try Self.retrying { try DatabaseQueue(path: path, configuration: configuration) }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in
                try db.create(table: "runs") { t in
                    t.primaryKey("id", .text)
                    t.column("path", .text).notNull().unique()
                    t.column("name", .text).notNull()
                    t.column("experiment", .text)
                    t.column("status", .text).notNull()
                    t.column("config_hash", .text).notNull()
                    t.column("config", .text).notNull()
                    t.column("steps", .integer).notNull()
                    t.column("parameter_count", .integer).notNull()
                    t.column("wall_time_seconds", .double).notNull()
                    t.column("final", .text).notNull()
                }
                try db.create(table: "metrics") { t in
                    t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                    t.column("step", .integer).notNull()
                    t.column("name", .text).notNull()
                    t.column("value", .double)
                }
                try db.create(index: "metrics_by_run", on: "metrics", columns: ["run_id", "name", "step"])
                try db.create(table: "events") { t in
                    t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                    t.column("step", .integer).notNull()
                    t.column("detected_at", .integer).notNull()
                    t.column("layer", .text).notNull()
                    t.column("symmetry", .text).notNull()
                    t.column("quantity", .text).notNull()
                    t.column("kind", .text).notNull()
                    t.column("before", .integer).notNull()
                    t.column("after", .integer).notNull()
                    t.column("loss", .double)
                }
            }
            // v2: an event's symmetry may be NULL (a rank change of a nonlinear layer moves no
            // parameter symmetry). SQLite cannot drop NOT NULL in place: copy the table.
            migrator.registerMigration("v2-event-symmetry-optional") { db in
                try db.create(table: "events_v2") { t in
                    t.column("run_id", .text).notNull().references("runs", onDelete: .cascade)
                    t.column("step", .integer).notNull()
                    t.column("detected_at", .integer).notNull()
                    t.column("layer", .text).notNull()
                    t.column("symmetry", .text)
                    t.column("quantity", .text).notNull()
                    t.column("kind", .text).notNull()
                    t.column("before", .integer).notNull()
                    t.column("after", .integer).notNull()
                    t.column("loss", .double)
                }
                try db.execute(sql: "INSERT INTO events_v2 SELECT * FROM events")
                try db.drop(table: "events")
                try db.rename(table: "events_v2", to: "events")
            }
            // Two first openers can both find a migration unapplied (GRDB reads the applied ones
            // before its transaction): processes migrate one at a time, under a lock file.
            try Self.exclusively(path + ".migration-lock") {
                try Self.retrying { try migrator.migrate(queue) }
            }
        } catch let error as RunError {
            throw error
        } catch {
            throw Self.describe(error, path: path)
        }
    }

    /// How long a writer waits for another process's transaction (seconds).
    static let busyTimeout: TimeInterval = 30

    /// Runs `body`, again after a pause when SQLite still reports the store busy or locked
    /// (e.g. two first openers both switching it to WAL): up to 8 attempts, then the error.
    static func retrying<T>(_ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            do { return try body() } catch let error as DatabaseError
                where [.SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode) && attempt < 8 {
                attempt += 1
                // Staggered by process so that waiting writers do not retry in step.
                let pause = 0.05 * Double(attempt) + 0.01 * Double(ProcessInfo.processInfo.processIdentifier % 7)
                Thread.sleep(forTimeInterval: pause)
            }
        }
    }

    /// Runs `body` while holding an exclusive `flock` on `lockPath` (created if missing); without
    /// a lock file (a read-only folder) it runs unlocked.
    static func exclusively<T>(_ lockPath: String, _ body: () throws -> T) throws -> T {
        let descriptor = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard descriptor >= 0 else { return try body() }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    /// A store error as a message with its fix: a damaged file is rebuilt from the run
    /// directories, which are the source of truth.
    static func describe(_ error: Error, path: String) -> RunError {
        if let error = error as? DatabaseError, [.SQLITE_NOTADB, .SQLITE_CORRUPT].contains(error.resultCode) {
            return RunError("the run store \(path) is damaged (\(error.message ?? "\(error)")); the run directories are intact: "
                            + "rebuild the store with `rm \(path) && noether runs import runs`")
        }
        return RunError("cannot use the run store \(path): \(error)")
    }

    /// The identifier of the run at `path`.
    public static func identifier(_ path: String) -> String {
        String(ConfigLoader.fnv1aHex(URL(fileURLWithPath: path).standardizedFileURL.path.utf8).prefix(12))
    }

    /// Indexes (or re-indexes) one run directory.
    public func index(run path: String, experiment: String? = nil) throws(RunError) {
        let directory = RunDirectory(path)
        guard let config = directory.recordedConfig() else { throw RunError("\(path) is not a run directory (no config.json)") }
        let summary = directory.summary()
        let metrics = try MetricRecord.read(directory.metricsPath)
        let events = try SymmetryEventLog.read(directory.eventsPath)
        let encoder = JSONFormat.encoder(.compact)
        let final = (try? encoder.encode(summary?.final ?? [:])).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        let record = StoredRun(
            id: Self.identifier(path), path: URL(fileURLWithPath: path).standardizedFileURL.path, name: config.name,
            experiment: experiment ?? Self.experiment(of: path), status: summary?.status ?? "interrupted",
            configHash: config.contentHash, config: String(decoding: ConfigLoader.canonicalJSON(config), as: UTF8.self),
            steps: summary?.steps ?? (metrics.map(\.step).max() ?? 0), parameterCount: summary?.parameterCount ?? 0,
            wallTimeSeconds: summary?.wallTimeSeconds ?? 0, final: final)
        do {
            try Self.retrying { try queue.write { db in
                try db.execute(sql: "DELETE FROM runs WHERE id = ?", arguments: [record.id])
                try db.execute(sql: "DELETE FROM metrics WHERE run_id = ?", arguments: [record.id])
                try db.execute(sql: "DELETE FROM events WHERE run_id = ?", arguments: [record.id])
                try record.insert(db)
                let metricInsert = try db.makeStatement(sql: "INSERT INTO metrics (run_id, step, name, value) VALUES (?, ?, ?, ?)")
                for m in metrics { try metricInsert.execute(arguments: [record.id, m.step, m.name, m.value.isFinite ? m.value : nil]) }
                let eventInsert = try db.makeStatement(sql: """
                    INSERT INTO events (run_id, step, detected_at, layer, symmetry, quantity, kind, before, after, loss)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """)
                for e in events {
                    try eventInsert.execute(arguments: [record.id, e.step, e.detectedAt, e.layer, e.symmetry?.rawValue, e.quantity,
                                                        e.kind.rawValue, e.before, e.after, e.loss.isFinite ? e.loss : nil])
                }
            } }
        } catch {
            let described = Self.describe(error, path: self.path)
            throw RunError("cannot index \(path): \(described.description)")
        }
    }

    /// Indexes every run directory under `root` (recursively); returns how many.
    @discardableResult
    public func importDirectory(_ root: String) throws(RunError) -> Int {
        var count = 0
        guard let walker = FileManager.default.enumerator(atPath: root) else { throw RunError("\(root) cannot be read") }
        var runs: [String] = []
        while let item = walker.nextObject() as? String {
            if (item as NSString).lastPathComponent == "config.json", FileManager.default.fileExists(atPath: "\(root)/\((item as NSString).deletingLastPathComponent)/metrics.jsonl") {
                runs.append("\(root)/\((item as NSString).deletingLastPathComponent)")
            }
        }
        for run in runs.sorted() {
            try index(run: run)
            count += 1
        }
        return count
    }

    /// The experiment a run belongs to, from its place in a reproduce tree (`<ID>/runs/<run>`).
    static func experiment(of path: String) -> String? {
        let parts = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        guard parts.count >= 3, parts[parts.count - 2] == "runs" else { return nil }
        let candidate = parts[parts.count - 3].split(separator: "-").first.map(String.init) ?? ""
        return candidate.first == "E" && Int(candidate.dropFirst()) != nil ? candidate : nil
    }

    /// Every indexed run, by path.
    public func runs() throws(RunError) -> [StoredRun] {
        do { return try queue.read { db in try StoredRun.order(Column("path")).fetchAll(db) } } catch {
            throw Self.describe(error, path: path)
        }
    }

    /// A run by id, name or path.
    public func run(_ key: String) throws(RunError) -> StoredRun {
        let all = try runs()
        let absolute = URL(fileURLWithPath: key).standardizedFileURL.path
        let matches = all.filter { $0.id == key || $0.path == absolute } + all.filter { $0.name == key }
        guard let found = matches.first else { throw RunError("no run '\(key)' in \(path); `noether runs list` shows the indexed runs") }
        if matches.count > 1, matches[0].id != key, matches[0].path != absolute, matches.dropFirst().contains(where: { $0.id != found.id }) {
            throw RunError("'\(key)' names several runs; use an id from `noether runs list`")
        }
        return found
    }

    /// A run's metrics, in file order.
    public func metrics(of id: String) throws(RunError) -> [(step: Int, name: String, value: Double?)] {
        do {
            return try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT step, name, value FROM metrics WHERE run_id = ? ORDER BY rowid", arguments: [id])
                    .map { ($0["step"], $0["name"], $0["value"]) }
            }
        } catch { throw Self.describe(error, path: path) }
    }

    /// A run's event count.
    public func eventCount(of id: String) throws(RunError) -> Int {
        do { return try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events WHERE run_id = ?", arguments: [id]) ?? 0 } } catch {
            throw Self.describe(error, path: path)
        }
    }
}
