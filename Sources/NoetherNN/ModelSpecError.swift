/// A model description that cannot be built, with what to change.
public struct ModelSpecError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
