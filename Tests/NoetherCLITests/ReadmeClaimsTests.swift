import Foundation
import Testing
@testable import NoetherCLI

/// The numbers the README quotes about `noether demo` are the demo's own output.
@Suite("The README's numbers")
struct ReadmeClaimsTests {
    @Test func theDemoGivesTheRankAndTheLossRatioTheReadmeQuotes() throws {
        let readme = try String(contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md").path, encoding: .utf8)
        // "…its first layer stays low-rank (rank 3 of 30)…" and "…about 10⁶ times lower…".
        let rankClaim = try #require(readme.firstMatch(of: /first\s+layer\s+stays\s+low-rank\s+\(rank\s+(\d+)\s+of\s+(\d+)\)/))
        let ratioClaim = try #require(readme.firstMatch(of: /about\s+10([⁰¹²³⁴⁵⁶⁷⁸⁹]+)\s+times\s+lower/))
        let superscripts: [Character: Int] = ["⁰": 0, "¹": 1, "²": 2, "³": 3, "⁴": 4, "⁵": 5, "⁶": 6, "⁷": 7, "⁸": 8, "⁹": 9]
        let exponent = ratioClaim.1.reduce(0) { $0 * 10 + (superscripts[$1] ?? 0) }

        let small = try #require(try SaddleToSaddleDemo.run(initScale: SaddleToSaddleDemo.initScales[0]).last)
        let standard = try #require(try SaddleToSaddleDemo.run(initScale: SaddleToSaddleDemo.initScales[1]).last)
        #expect(small.rank() == Int(rankClaim.1))
        #expect(small.singularValues.count == Int(rankClaim.2))
        // "About 10ⁿ": the ratio rounds to n on a log scale.
        let ratio = standard.testLoss / small.testLoss
        #expect(Int(log10(ratio).rounded()) == exponent, "test-loss ratio \(ratio)")
    }
}
