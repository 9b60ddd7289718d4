import Foundation

/// Files that ship in the repository next to the binary (experiment configs, the Ray driver),
/// found from the working directory or from the binary's location, so that both
/// `swift run noether …` in a checkout and an installed `.build/release/noether` find them.
public enum RepositoryFiles {
    /// The first existing `<candidate>/<relativePath>`, searching the working directory and the
    /// binary's folder and five of its ancestors.
    public static func locate(_ relativePath: String) -> String? {
        var candidates = [FileManager.default.currentDirectoryPath]
        // The binary itself, not argv[0] (a bare `noether` when it was found on PATH).
        var url = URL(fileURLWithPath: executable).deletingLastPathComponent()
        for _ in 0..<6 {
            candidates.append(url.path)
            url = url.deletingLastPathComponent()
        }
        return candidates.map { "\($0)/\(relativePath)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// The absolute path of the running `noether` binary (what sweep executors launch).
    public static var executable: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return URL(fileURLWithPath: CommandLine.arguments.first ?? "noether").resolvingSymlinksInPath().path
    }
}
