import NoetherTensor

/// A dataset that cannot be made or loaded, with what to do about it.
public struct DataError: NoetherError, Equatable {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }
}
