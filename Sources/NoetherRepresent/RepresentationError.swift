import NoetherTensor

/// Representations that cannot be analysed as asked, and why.
public struct RepresentationError: NoetherError, Equatable {
    public let message: String
    public let hint: String?
    public init(_ message: String, hint: String? = nil) { (self.message, self.hint) = (message, hint) }
}
