import NoetherSymmetry

/// Hands each symmetry event to `handle` as it is confirmed (not those replayed on resume).
public final class EventHandler: TrainingCallback {
    private let handle: (SymmetryEvent) -> Void

    public init(_ handle: @escaping (SymmetryEvent) -> Void) { self.handle = handle }

    public func logDidGrow(_ entries: TrainingLog, replayed: Bool) {
        guard !replayed else { return }
        for event in entries.events { handle(event) }
    }
}
