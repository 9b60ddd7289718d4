import Foundation
import NoetherSymmetry

extension WeightInference.Hints {
    /// What a Hugging Face `config.json` beside the weights says: heads, key/value heads, the
    /// per-head width, the rotary share and the model type (towers of CLIP-style configs too).
    static func configured(near path: String) -> Self {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
        let directory = isDirectory.boolValue ? path : (path as NSString).deletingLastPathComponent
        guard let data = FileManager.default.contents(atPath: "\(directory)/config.json"),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return Self() }
        return Self(config: object)
    }

    init(config object: [String: Any]) {
        func int(_ keys: [String], in o: [String: Any]) -> Int? {
            for key in keys { if let value = o[key] as? Int, value > 0 { return value } }
            return nil
        }
        let headKeys = ["num_attention_heads", "n_head", "num_heads", "encoder_attention_heads"]
        var towers: [String: Int] = [:]
        for (key, prefix) in [("text_config", "text_model"), ("vision_config", "vision_model")] {
            if let tower = object[key] as? [String: Any], let heads = int(headKeys, in: tower) { towers[prefix] = heads }
        }
        let fraction = (object["rotary_pct"] as? Double) ?? (object["partial_rotary_factor"] as? Double)
        self.init(heads: int(headKeys, in: object), keyValueHeads: int(["num_key_value_heads", "multi_query_group_num"], in: object),
                  headWidth: int(["d_kv", "head_dim"], in: object), rotaryFraction: fraction.flatMap { $0 > 0 && $0 <= 1 ? $0 : nil },
                  modelType: object["model_type"] as? String, towerHeads: towers)
    }
}
