import Foundation

/// The path of a committed fixture file (made with numpy and safetensors, see each test).
func fixture(_ name: String) -> String {
    Bundle.module.resourceURL!.appendingPathComponent("Fixtures/\(name)").path
}

/// A fresh temporary directory for a test's files.
func temporaryDirectory() -> String {
    let path = NSTemporaryDirectory() + "noether-test-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
