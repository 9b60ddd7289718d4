import NoetherTensor

/// A model description that cannot be built, with what to change.
public struct ModelSpecError: NoetherError, Equatable {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }
}
