import Foundation

/// The one JSON configuration Noether writes and reads with: keys sorted (stable files, diffs
/// and content hashes), slashes unescaped, and the non-finite numbers JSON lacks written as the
/// strings `"inf"`, `"-inf"` and `"nan"` (and read back from them). Files people read are
/// pretty-printed; JSON-lines records and values stored in a database are compact.
///
/// (`metrics.jsonl` lines are written by hand, `MetricRecord.jsonLine`, for speed: numbers in
/// shortest round-trip form and non-finite values as null.)
public enum JSONFormat {
    public enum Layout: Sendable { case pretty, compact }

    /// An encoder; `snakeCaseKeys` for configs, whose files spell keys in snake_case.
    public static func encoder(_ layout: Layout = .pretty, snakeCaseKeys: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = layout == .pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        if snakeCaseKeys { encoder.keyEncodingStrategy = .convertToSnakeCase }
        return encoder
    }

    /// The matching decoder.
    public static func decoder(snakeCaseKeys: Bool = false) -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        if snakeCaseKeys { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        return decoder
    }

    /// `value` as JSON text (compact layout: one line).
    public static func string<T: Encodable>(_ value: T, _ layout: Layout = .compact) throws -> String {
        String(decoding: try encoder(layout).encode(value), as: UTF8.self)
    }
}
