import NoetherTensor

/// A file that is missing, unreadable or not in the expected format. The description names
/// the file, what is wrong, and how to fix it.
public struct FileFormatError: NoetherError, Equatable {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }

    /// The file at `path` is not a valid `format` file because of `reason`.
    public static func corrupt(_ path: String, _ format: String, _ reason: String) -> FileFormatError {
        FileFormatError("\(path) is not a valid \(format) file: \(reason)")
    }
}
