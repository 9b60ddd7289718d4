import Foundation
import NoetherIO
import NoetherTraining

/// Loss curves of a run trained elsewhere: a Hugging Face Trainer's `trainer_state.json`
/// (`log_history`), or a CSV or JSON Lines file with a `step` column and numeric columns.
/// `loss` is recorded as `train_loss` and `eval_loss` as `test_loss`, as Noether names them.
public enum LossHistory {
    public static func read(_ path: String) throws(RunError) -> [MetricRecord] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RunError("cannot read \(path)", hint: "give a trainer_state.json, a CSV or a JSON Lines file of losses")
        }
        if path.hasSuffix(".csv") { return try csv(data, path: path) }
        var entries: [[String: JSONValue]] = []
        if path.hasSuffix(".jsonl") {
            for (number, line) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() {
                guard case .object(let entry)? = try? JSONDecoder().decode(JSONValue.self, from: Data(line.utf8)) else {
                    throw RunError("\(path) line \(number + 1) is not a JSON object")
                }
                entries.append(entry)
            }
        } else {
            guard case .object(let state)? = try? JSONDecoder().decode(JSONValue.self, from: data) else { throw RunError("\(path) is not a JSON object") }
            guard case .array(let history)? = state["log_history"] else {
                throw RunError("\(path) has no log_history", hint: "give the trainer_state.json that the Hugging Face Trainer writes into each checkpoint")
            }
            for item in history {
                guard case .object(let entry) = item else { throw RunError("\(path): an entry of log_history is not an object") }
                entries.append(entry)
            }
        }
        return entries.flatMap(records)
    }

    /// Noether's name of a logged quantity.
    static func metricName(_ key: String) -> String {
        switch key {
        case "loss", "train_loss": "train_loss"
        case "eval_loss", "test_loss": "test_loss"
        case "eval_accuracy": "test_accuracy"
        default: key
        }
    }

    /// The numbers of one logged entry at its step (entries without a step are not curves).
    static func records(_ entry: [String: JSONValue]) -> [MetricRecord] {
        guard case .number(let step)? = entry["step"], step.isFinite, abs(step) < 1e15 else { return [] }
        return entry.keys.sorted().compactMap { key in
            guard key != "step", key != "epoch", case .number(let value)? = entry[key] else { return nil }
            return MetricRecord(step: Int(step), time: 0, name: metricName(key), value: value)
        }
    }

    static func csv(_ data: Data, path: String) throws(RunError) -> [MetricRecord] {
        let table: NumericTable
        do { table = try NumericTable(text: String(decoding: data, as: UTF8.self), path: path) } catch { throw RunError(error) }
        guard let header = table.header, let stepColumn = header.firstIndex(of: "step") else {
            throw RunError("\(path) has no header with a step column", hint: "write a header line such as step,loss,eval_loss")
        }
        var result: [MetricRecord] = []
        for row in 0..<table.rows {
            let value = table.values[row * table.columns + stepColumn]
            guard value.isFinite, value.rounded() == value, abs(value) < 1e15 else {
                throw RunError("\(path) row \(row + 2): step \(value) is not an integer")
            }
            for (column, name) in header.enumerated() where column != stepColumn && name != "epoch" {
                result.append(MetricRecord(step: Int(value), time: 0, name: metricName(name), value: table.values[row * table.columns + column]))
            }
        }
        return result
    }
}
