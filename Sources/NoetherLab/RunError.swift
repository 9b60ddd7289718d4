/// Why a run could not start or finish: a one-line description of the problem and its fix.
public struct RunError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// The run directory is being written by another process: nothing is wrong with the run.
    public let isRunInUse: Bool

    public init(_ description: String) { self.init(description, isRunInUse: false) }

    public init(_ description: String, isRunInUse: Bool) {
        (self.description, self.isRunInUse) = (description, isRunInUse)
    }
}
