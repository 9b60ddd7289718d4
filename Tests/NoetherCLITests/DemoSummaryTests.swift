import Testing
@testable import NoetherCLI
@testable import NoetherLab

/// The demo's closing summary follows its numbers: no clause asserts a result the runs did not give.
@Suite("The demo's summary")
struct DemoSummaryTests {
    func point(rank: Int, testLoss: Double) -> SaddleToSaddleDemo.Point {
        // Singular values above and below the demo's 0.1·σ_max rank threshold.
        SaddleToSaddleDemo.Point(step: 8000, trainLoss: 0, testLoss: testLoss,
                                 singularValues: (0..<30).map { $0 < rank ? 1 : 0.001 })
    }

    @Test func statesPlateausRanksAndTheRatioFoundInTheRuns() {
        let text = Demo.summary(smallPlateaus: 2, small: point(rank: 3, testLoss: 1e-6), largePlateaus: 0, large: point(rank: 28, testLoss: 1))
        #expect(text.contains("2 plateaus") && text.contains("3 of 30 directions") && text.contains("no plateau, a first layer of rank 28"))
        #expect(text.contains("1.0e+06× lower"))
    }

    @Test func saysSoWhenTheRunsDoNotShowTheEffect() {
        let text = Demo.summary(smallPlateaus: 0, small: point(rank: 30, testLoss: 2), largePlateaus: 1, large: point(rank: 30, testLoss: 1))
        #expect(text.contains("showed no plateau") && text.contains("uses all 30 directions"))
        #expect(text.contains("1 plateau,") && text.contains("is not lower"))
        #expect(!text.contains("× lower"))
    }
}
