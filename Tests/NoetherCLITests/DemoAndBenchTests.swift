import NoetherBenchmarks
import Testing
@testable import NoetherCLI

@Suite("Demo and benchmarks")
struct DemoAndBenchTests {
    @Test func plateausAreFoundWhereTheLossSitsAndThenDrops() {
        let losses: [Double] = [4, 3, 1.5, 1.5, 1.49, 1.5, 1.48, 1.5, 1.47, 0.3, 0.05, 0.01, 0.01, 0.009, 0.0099, 0.01, 0.0098, 0.0097]
        let points = losses.enumerated().map { SaddleToSaddleDemo.Point(step: 50 * ($0.offset + 1), trainLoss: $0.element, testLoss: 0, singularValues: [3, 1, 0.01]) }
        let plateaus = SaddleToSaddleDemo.plateaus(points)
        #expect(plateaus.count == 1)
        #expect(plateaus.first?.firstStep == 150 && plateaus.first?.lastStep == 450)
        #expect(points[0].rank() == 2)
    }

    @Test func benchmarkRecordsCarryTheirFloorAndNoSteadyStateAllocation() throws {
        let records = try StepBenchmarks.run(["mlp-64"], repeats: 2)
        #expect(records.count == 1)
        let record = records[0]
        #expect(record.name == "mlp-64")
        #expect(record.medianMilliseconds > 0)
        #expect((record.floorMilliseconds ?? 0) > 0)
        #expect(record.allocationsPerStep == 0)
    }
}
