import Foundation

/// Settings changed by dotted key paths (`optimizer.weight_decay: 0.01`, `model.hidden: [64]`)
/// on a config's JSON tree — how experiments and sweeps derive runs from a base config.
public enum ConfigOverrides {
    /// `tree` with `value` at `path` (dot-separated keys; intermediate objects are created).
    public static func set(_ tree: Any, path: String, value: Any) throws(RunError) -> Any {
        let keys = path.split(separator: ".").map(String.init)
        guard !keys.isEmpty else { throw RunError("an override needs a key path, got '\(path)'") }
        return try set(tree, keys: keys[...], value: value, path: path)
    }

    private static func set(_ tree: Any, keys: ArraySlice<String>, value: Any, path: String) throws(RunError) -> Any {
        guard let key = keys.first else { return value }
        var object: [String: Any]
        if let existing = tree as? [String: Any] {
            object = existing
        } else if tree is NSNull {
            object = [:]
        } else {
            throw RunError("override '\(path)': '\(key)' is inside a value that is not a mapping")
        }
        object[key] = try set(object[key] ?? NSNull(), keys: keys.dropFirst(), value: value, path: path)
        return object
    }

    /// Applies every override of `overrides` (in key order) to the JSON of `config` and decodes
    /// the result strictly, so a misspelt key path is an error.
    public static func apply<Config: Codable>(_ overrides: [String: Any], to config: Config, source: String) throws(RunError) -> Config {
        var tree = try ConfigLoader.encodeTree(config)
        for key in overrides.keys.sorted() {
            tree = try set(tree, path: key, value: overrides[key] ?? NSNull())
        }
        let data: Data
        do { data = try JSONSerialization.data(withJSONObject: tree) } catch { throw RunError("\(source): overrides are not valid JSON values") }
        return try ConfigLoader.decode(Config.self, from: String(decoding: data, as: UTF8.self), format: .json, source: source)
    }
}
