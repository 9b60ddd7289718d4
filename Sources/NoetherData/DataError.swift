/// A dataset that cannot be made or loaded, with what to do about it.
public struct DataError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
