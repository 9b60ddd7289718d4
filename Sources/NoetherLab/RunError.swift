/// Why a run could not start or finish: a one-line description of the problem and its fix.
public struct RunError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
