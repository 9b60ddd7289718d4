import NoetherTensor

/// Why a run could not start or finish: what is wrong and how to fix it.
public struct RunError: NoetherError, Equatable {
    public let message: String
    public let hint: String?
    /// The run directory is being written by another process: nothing is wrong with the run.
    public let isRunInUse: Bool

    public init(_ message: String, hint: String? = nil, isRunInUse: Bool = false) {
        (self.message, self.hint, self.isRunInUse) = (message, hint, isRunInUse)
    }
}

extension RunError {
    /// A lower module's error met while running, with its message and hint unchanged.
    public init(_ error: some NoetherError) { self.init(error.message, hint: error.hint) }
}
