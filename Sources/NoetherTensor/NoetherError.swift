/// What every Noether error is: a one-line message saying what is wrong and, where there is
/// one, a hint saying how to fix it. Each module has its own typed errors (``ShapeError``,
/// `ModelSpecError`, `DataError`, `FileFormatError`, `RunError` …), all conforming, so a caller
/// (the CLI) catches them once, as `any NoetherError`, without knowing the module.
///
/// Declared in the lowest module so that every other one can conform.
public protocol NoetherError: Error, CustomStringConvertible {
    /// What is wrong, naming the file, key or value involved.
    var message: String { get }
    /// How to fix it; nil when the message already says (or there is nothing to do).
    var hint: String? { get }
}

extension NoetherError {
    /// The message and the hint on one line.
    public var description: String { hint.map { "\(message); \($0)" } ?? message }
}
