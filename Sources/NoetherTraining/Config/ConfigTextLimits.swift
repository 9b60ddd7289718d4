/// Checks on a config's text before a YAML or JSON parser sees it: a bounded size and nesting
/// depth, and no YAML anchors or aliases. A composer expands aliases, so a 289-byte "billion
/// laughs" document reached gigabytes; refusing them after parsing would be too late.
enum ConfigTextLimits {
    /// Configs are a few kilobytes; a megabyte is not a config.
    static let maxBytes = 1 << 20
    /// Flow nesting (`[`, `{`) and indentation bounds, so parsing never recurses deeply.
    static let maxFlowDepth = 32
    static let maxIndentation = 256

    static func check(_ text: String, source: String) throws(RunError) {
        let bytes = Array(text.utf8)
        guard bytes.count <= maxBytes else {
            throw RunError("\(source) is \(bytes.count) bytes; a config may have at most \(maxBytes)")
        }
        var scanner = Scanner()
        for byte in bytes {
            if let problem = scanner.consume(byte) { throw RunError("\(source) line \(scanner.line): \(problem)") }
        }
    }

    /// A byte-at-a-time scan that tracks quotes, comments and flow brackets, the only context
    /// needed to tell an anchor (`&a`) or alias (`*a`) from the same character inside a value.
    struct Scanner {
        var line = 1
        var depth = 0
        var indentation = 0
        var atLineStart = true
        var inComment = false
        var quote: UInt8?
        var escaped = false
        /// The byte before the current one, on this line (nil at the start of a line).
        var previous: UInt8?
        /// An `&` or `*` seen at the start of a token, pending the next byte.
        var indicator: UInt8?

        static let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n")

        /// Whether a token may start after `byte`.
        static func startsToken(after byte: UInt8?) -> Bool {
            guard let byte else { return true }
            return [space, tab, UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ",")].contains(byte)
        }

        mutating func consume(_ byte: UInt8) -> String? {
            defer { previous = byte == Self.newline ? nil : byte }
            if let pending = indicator {
                indicator = nil
                let separators: [UInt8] = [Self.space, Self.tab, Self.newline, UInt8(ascii: "\r"), UInt8(ascii: ","),
                                           UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}")]
                if !separators.contains(byte) {
                    return pending == UInt8(ascii: "&")
                        ? "YAML anchors (&name) are not supported in configs; write each value out"
                        : "YAML aliases (*name) are not supported in configs; write each value out"
                }
            }
            if byte == Self.newline {
                line += 1
                (atLineStart, inComment, indentation) = (true, false, 0)
                return nil
            }
            if inComment { return nil }
            if let open = quote {
                if escaped { escaped = false } else if open == UInt8(ascii: "\"") && byte == UInt8(ascii: "\\") { escaped = true } else if byte == open { quote = nil }
                return nil
            }
            if atLineStart {
                if byte == Self.space {
                    indentation += 1
                    return indentation > ConfigTextLimits.maxIndentation ? "indentation deeper than \(ConfigTextLimits.maxIndentation) columns" : nil
                }
                atLineStart = false
            }
            let tokenStart = Self.startsToken(after: previous)
            switch byte {
            case UInt8(ascii: "#") where tokenStart:
                inComment = true
            case UInt8(ascii: "\""), UInt8(ascii: "'"):
                if tokenStart { quote = byte }
            case UInt8(ascii: "&"), UInt8(ascii: "*"):
                if tokenStart { indicator = byte }
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                if tokenStart || depth > 0 {
                    depth += 1
                    if depth > ConfigTextLimits.maxFlowDepth { return "lists and mappings nested deeper than \(ConfigTextLimits.maxFlowDepth) levels" }
                }
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth = max(0, depth - 1)
            default:
                break
            }
            return nil
        }
    }
}
