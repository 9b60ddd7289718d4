import Foundation
import NoetherIO
import NoetherTraining

/// One configuration of a sweep.
public struct Trial: Codable, Sendable, Equatable {
    public var index: Int
    /// The stable content hash of what the trial computes: its config under the sweep's name,
    /// without its output directory, so it does not change when other trials are added.
    public var hash: String
    /// The settings this trial sets on the base config.
    public var overrides: [String: JSONValue]
    public var config: RunConfig

    public init(index: Int, hash: String, overrides: [String: JSONValue], config: RunConfig) {
        (self.index, self.hash, self.overrides, self.config) = (index, hash, overrides, config)
    }

    /// Its run directory inside the sweep directory.
    public func directory(in sweep: String) -> String { "\(sweep)/trials/\(String(format: "%04d", index))-\(hash.prefix(8))" }
}

extension Trial {
    /// Writes `trials.jsonl` (one trial per line).
    public static func write(_ trials: [Trial], to path: String) throws(RunError) {
        let encoder = JSONFormat.encoder(.compact, snakeCaseKeys: true)
        var lines = ""
        for trial in trials {
            guard let data = try? encoder.encode(trial) else { throw RunError("trial \(trial.index) cannot be encoded") }
            lines += String(decoding: data, as: UTF8.self) + "\n"
        }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(lines.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch { throw RunError("cannot write \(path): \(error.localizedDescription)") }
    }

    /// Reads `trials.jsonl`.
    public static func read(_ path: String) throws(RunError) -> [Trial] {
        guard let data = FileManager.default.contents(atPath: path) else { throw RunError("\(path) does not exist; run `noether sweep expand` first") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var trials: [Trial] = [], seen: Set<Int> = []
        for (number, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() where !line.isEmpty {
            let trial: Trial
            do { trial = try decoder.decode(Trial.self, from: Data(line.utf8)) } catch {
                throw RunError("\(path) line \(number + 1) is not a trial: \(error)")
            }
            // Indices name trials to executors and run directories: two lines with one index are two runs in one place.
            guard trial.index >= 0, seen.insert(trial.index).inserted else {
                throw RunError("\(path) line \(number + 1): trial index \(trial.index) is \(trial.index < 0 ? "negative" : "given twice")",
                               hint: "expand the sweep again with `noether sweep expand`, which numbers the trials 0, 1, 2, …")
            }
            trials.append(trial)
        }
        return trials
    }
}
