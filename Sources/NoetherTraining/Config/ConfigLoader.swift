import Foundation
import NoetherIO
import Yams

/// Reads run configs from YAML or JSON, strictly: a misspelt or misplaced key is an error that
/// names it, not a silently ignored setting.
public enum ConfigLoader {
    /// Loads a config file (`.yaml`, `.yml` or `.json`).
    public static func load<Config: Codable>(_ type: Config.Type, from path: String) throws(RunError) -> Config {
        guard FileManager.default.fileExists(atPath: path) else { throw RunError("config file \(path) does not exist") }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw RunError("config file \(path) cannot be read as UTF-8 text")
        }
        let isJSON = path.lowercased().hasSuffix(".json")
        return try decode(type, from: text, format: isJSON ? .json : .yaml, source: path)
    }

    public enum Format { case json, yaml }

    /// Decodes a config from text; `source` names it in errors.
    public static func decode<Config: Codable>(_ type: Config.Type, from text: String, format: Format, source: String) throws(RunError) -> Config {
        try ConfigTextLimits.check(text, source: source)
        let tree = try parse(text, format: format, source: source)
        if let key = firstNonFiniteNumber(tree, path: []) {
            throw RunError("\(source): '\(key)' is not a finite number; configs hold finite numbers only")
        }
        guard tree is [String: Any] else { throw RunError("\(source): a config must be a mapping of keys to values") }
        let config: Config
        do {
            let data = try JSONSerialization.data(withJSONObject: tree)
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            config = try decoder.decode(type, from: data)
        } catch let error as DecodingError {
            throw RunError("\(source): \(describe(error))")
        } catch {
            throw RunError("\(source): \(error)")
        }
        // Every key the user wrote must survive a decode/encode round trip; one that does not
        // was not understood.
        let understood = try encodeTree(config)
        if let unknown = firstUnknownKey(tree, understood, path: []) {
            throw RunError("\(source): unknown key '\(unknown.path)'" + (unknown.suggestion.map { "; did you mean '\($0)'?" } ?? ""))
        }
        return config
    }

    /// The config as canonical JSON (sorted keys, snake_case), as written to `config.json`.
    public static func canonicalJSON<Config: Encodable>(_ config: Config) -> Data {
        (try? JSONFormat.encoder(.pretty, snakeCaseKeys: true).encode(config)) ?? Data("{}".utf8)
    }

    /// A stable 64-bit FNV-1a hash of the canonical JSON, as 16 hex digits.
    public static func hash<Config: Encodable>(_ config: Config) -> String { fnv1aHex(canonicalJSON(config)) }

    /// The 64-bit FNV-1a hash of `bytes` as 16 hex digits: stable across runs and machines.
    public static func fnv1aHex(_ bytes: some Sequence<UInt8>) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    public static func encodeTree<Config: Encodable>(_ config: Config) throws(RunError) -> Any {
        do {
            return try JSONSerialization.jsonObject(with: canonicalJSON(config))
        } catch {
            throw RunError("internal: the config could not be re-encoded (\(error))")
        }
    }

    static func parse(_ text: String, format: Format, source: String) throws(RunError) -> Any {
        switch format {
        case .json:
            do {
                return try JSONSerialization.jsonObject(with: Data(text.utf8))
            } catch {
                throw RunError("\(source) is not valid JSON: \(error.localizedDescription)")
            }
        case .yaml:
            do {
                guard let node = try Yams.compose(yaml: text) else { throw RunError("\(source) is empty") }
                return try jsonValue(of: node, source: source)
            } catch let error as RunError {
                throw error
            } catch let error as YamlError {
                throw RunError("\(source) is not valid YAML: \(describe(error))")
            } catch {
                throw RunError("\(source) is not valid YAML: \(error)")
            }
        }
    }

    /// A YAML node as a JSON-compatible value. Plain scalars such as `1e-3`, which YAML 1.1
    /// reads as strings, become numbers; quoted scalars stay strings.
    static func jsonValue(of node: Node, source: String) throws(RunError) -> Any {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return scalar.string }
            if node.null != nil { return NSNull() }
            if let bool = node.bool { return bool }
            if let int = node.int { return int }
            if let double = node.float ?? Double(scalar.string) { return double }
            return scalar.string
        case .sequence(let sequence):
            var items: [Any] = []
            for item in sequence { items.append(try jsonValue(of: item, source: source)) }
            return items
        case .mapping(let mapping):
            var dictionary: [String: Any] = [:]
            for (key, value) in mapping {
                guard let name = key.string else { throw RunError("\(source): mapping keys must be strings") }
                guard dictionary[name] == nil else { throw RunError("\(source): key '\(name)' appears twice") }
                dictionary[name] = try jsonValue(of: value, source: source)
            }
            return dictionary
        case .alias:
            throw RunError("\(source): YAML aliases are not supported in configs")
        }
    }

    /// The key path of the first NaN or infinity (YAML's `.nan`, `.inf`), which JSON cannot hold.
    static func firstNonFiniteNumber(_ value: Any, path: [String]) -> String? {
        if let number = value as? Double, !number.isFinite { return path.isEmpty ? "the value" : path.joined(separator: ".") }
        if let dictionary = value as? [String: Any] {
            for key in dictionary.keys.sorted() {
                if let found = firstNonFiniteNumber(dictionary[key] ?? NSNull(), path: path + [key]) { return found }
            }
        } else if let array = value as? [Any] {
            for (index, item) in array.enumerated() {
                if let found = firstNonFiniteNumber(item, path: path + ["\(index)"]) { return found }
            }
        }
        return nil
    }

    static func firstUnknownKey(_ given: Any, _ understood: Any, path: [String]) -> (path: String, suggestion: String?)? {
        if let given = given as? [String: Any] {
            let known = understood as? [String: Any] ?? [:]
            for key in given.keys.sorted() {
                let value = given[key] ?? NSNull()
                guard let counterpart = known[key] else {
                    if value is NSNull { continue }
                    let suggestion = known.keys.min { editDistance($0, key) < editDistance($1, key) }
                        .flatMap { editDistance($0, key) <= 3 ? $0 : nil }
                    return ((path + [key]).joined(separator: "."), suggestion)
                }
                if let found = firstUnknownKey(value, counterpart, path: path + [key]) { return found }
            }
        } else if let given = given as? [Any], let known = understood as? [Any] {
            for (index, item) in given.enumerated() where index < known.count {
                if let found = firstUnknownKey(item, known[index], path: path + ["\(index)"]) { return found }
            }
        }
        return nil
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let (a, b) = (Array(a), Array(b))
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// A YAML syntax error on one line: "line L, column C: problem (while …)".
    static func describe(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let during = context.map { " (\($0.text) in line \($0.mark.line))" } ?? ""
            return "line \(mark.line), column \(mark.column): \(problem)\(during)"
        default:
            return "\(error)".split(separator: "\n").joined(separator: " ")
        }
    }

    /// A decoding error as "where: what".
    static func describe(_ error: DecodingError) -> String {
        func location(_ path: [CodingKey]) -> String {
            let names = path.map { $0.intValue.map(String.init) ?? snakeCase($0.stringValue) }
            return names.isEmpty ? "the top level" : names.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            return "missing required key '\((context.codingPath + [key]).map { snakeCase($0.stringValue) }.joined(separator: "."))'"
        case .typeMismatch(let type, let context):
            return "\(location(context.codingPath)) should be \(describe(type))"
        case .valueNotFound(let type, let context):
            return "\(location(context.codingPath)) should be \(describe(type)), not null"
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            // The decoder's report of a number its key's type cannot hold (a negative count,
            // a value past 2⁶³), without the key.
            return "a number is out of range for its key (e.g. negative where only 0 or more is allowed): \(context.debugDescription)"
        case .dataCorrupted(let context):
            return "\(location(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type, is UInt64.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a string"
        case is [Int].Type: "a list of integers"
        case is [Double].Type: "a list of numbers"
        default: "a \(type)"
        }
    }

    static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { result, c in
            if c.isUppercase { result += "_" + c.lowercased() } else { result.append(c) }
        }
    }
}
