/// Representations that cannot be analysed as asked, and why.
public struct RepresentationError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
