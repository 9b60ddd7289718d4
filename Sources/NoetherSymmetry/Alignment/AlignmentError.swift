import NoetherTensor

/// Why aligning, merging or compressing models failed.
public struct AlignmentError: NoetherError, Equatable {
    public let message: String
    public let hint: String?

    public init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }
}
