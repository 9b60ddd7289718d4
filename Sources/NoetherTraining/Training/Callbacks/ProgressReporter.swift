import Foundation

/// Step, loss, rate and ETA on one rewritten terminal line (stderr); silent when stderr is not
/// a terminal, so piped and logged output stays clean. As a training callback it follows the
/// steps and clears its line when training ends (or, on an error, when it is released).
public final class ProgressReporter: TrainingCallback {
    private let enabled: Bool
    private let label: String
    private var lastDraw = Date.distantPast
    private let start = Date()
    private var startStep = 0
    private var drawn = false

    public init(label: String, enabled: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.enabled = enabled
    }

    public func begin(at step: Int) { startStep = step }

    public func update(step: Int, of total: Int, loss: Double) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) > 0.1 || step == total else { return }
        lastDraw = now
        drawn = true
        let elapsed = now.timeIntervalSince(start)
        let rate = Double(step - startStep) / max(elapsed, 1e-9)
        let eta = rate > 0 ? Double(total - step) / rate : 0
        let line = String(format: "\r%@ step %d/%d  loss %.4g  %.0f steps/s  ETA %@   ",
                          label, step, total, loss, rate, Self.duration(eta))
        FileHandle.standardError.write(Data(line.utf8))
    }

    public func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }

    deinit { if drawn { finish() } }

    public func trainingWillStart(_ state: TrainingState) { begin(at: state.step) }
    public func stepDidEnd(_ state: TrainingState) { update(step: state.step, of: state.totalSteps, loss: state.batchLoss) }
    public func trainingDidEnd(_ outcome: TrainingOutcome) { finish() }

    /// Writes `text` as a line of its own on stderr. On a terminal the progress line is cleared
    /// first (`\r`, erase line), so the text does not run into it; piped or logged stderr
    /// gets the plain line, without control characters.
    public static func writeLine(_ text: String, terminal: Bool = isatty(STDERR_FILENO) == 1) {
        FileHandle.standardError.write(Data(line(text, terminal: terminal).utf8))
    }

    static func line(_ text: String, terminal: Bool) -> String { (terminal ? "\r\u{1B}[K" : "") + text + "\n" }

    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.0fs", seconds) }
        if seconds < 3600 { return String(format: "%dm%02ds", Int(seconds) / 60, Int(seconds) % 60) }
        return String(format: "%dh%02dm", Int(seconds) / 3600, (Int(seconds) % 3600) / 60)
    }
}
